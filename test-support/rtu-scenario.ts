import { join } from 'node:path';
import { readDataFile } from '@pcf-edge/core';
import { validateScenario, type ModbusDevice, type Scenario } from '@pcf-edge/meter-simulators';
import type { Parity } from '@pcf-edge/profiles';

const DEMO = join(__dirname, '../simulators/scenarios/demo-factory.yaml');

export interface RtuBusOptions {
  transport: 'rtu' | 'rtuOverTcp';
  /** rtu: the simulator's end of a PTY pair. */
  path?: string;
  baudRate: number;
  parity?: Parity;
  stopBits?: 1 | 2;
  /** Every meter's reply time, ms (default 5). */
  replyTimeMs?: number;
}

/** The four meters put on the RTU bus, with their unit ids there. */
export const RTU_BUS_METERS = { 'line1-main': 1, 'line1-press': 2, 'site-baseload': 3, 'line1-gas': 4 } as const;

/**
 * The demo factory (no OPC UA, no scheduled faults, TCP ports ephemeral) with four meters on one RTU bus `bus-1`:
 * panel-a's three electricity meters (unit ids 1–3) and the line-1 gas pulse counter (unit id 4); panel-b stays
 * Modbus TCP. Simulated time is the caller's clock.
 */
export function rtuDemoScenario(o: RtuBusOptions): Scenario {
  const raw = readDataFile(DEMO) as Scenario;
  delete raw.opcua;
  raw.faults = [];
  const take = (id: string) => raw.modbus.devices.flatMap((d) => d.meters).find((m) => m.id === id);
  const meters = Object.entries(RTU_BUS_METERS).map(([id, unitId]) => {
    const m = take(id);
    if (!m) throw new Error(`the demo factory has no meter ${id}`);
    return { ...m, unitId, replyTimeMs: o.replyTimeMs ?? 5 };
  });
  const line = { baudRate: o.baudRate, parity: o.parity ?? 'even', dataBits: 8, stopBits: o.stopBits ?? 1 } as const;
  const bus: ModbusDevice =
    o.transport === 'rtu'
      ? { id: 'bus-1', transport: 'rtu', serial: { ...line, path: o.path ?? '' }, meters }
      : { id: 'bus-1', transport: 'rtuOverTcp', port: 0, serial: line, meters };
  const tcp = raw.modbus.devices.filter((d) => d.id === 'panel-b').map((d) => ({ ...d, port: 0 }));
  raw.modbus.devices = [bus, ...tcp];
  return structuredClone(validateScenario(raw, 'demo-factory on an RTU bus (test)')) as Scenario;
}
