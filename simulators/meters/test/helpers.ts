import { join } from 'node:path';
import { readDataFile } from '@pcf-edge/core';
import ModbusRTU from 'modbus-serial';
import { validateScenario, type Scenario } from '../src';

export const DEMO = join(__dirname, '../../scenarios/demo-factory.yaml');

/** The demo scenario with every port set to 0 (ephemeral), optionally without its OPC UA server and faults. */
export function demoScenario(opts: { opcua: boolean; faults?: boolean }): Scenario {
  const raw = readDataFile(DEMO) as Scenario & { opcua?: { port: number } };
  for (const d of raw.modbus.devices) d.port = 0;
  if (opts.opcua && raw.opcua) raw.opcua.port = 0;
  if (!opts.opcua) delete raw.opcua;
  if (!opts.faults) raw.faults = [];
  return structuredClone(validateScenario(raw, 'demo-factory (test)')) as Scenario;
}

export async function connect(port: number, unitId: number, timeoutMs = 2000): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unitId);
  c.setTimeout(timeoutMs);
  return c;
}

export async function close(c: ModbusRTU): Promise<void> {
  if (!c.isOpen) return;
  await new Promise<void>((resolve) => c.close(() => resolve()));
}

export async function failure(p: Promise<unknown>): Promise<{ modbusCode?: number; errno?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { modbusCode?: number; errno?: string; message: string };
  }
  throw new Error('expected the request to fail');
}
