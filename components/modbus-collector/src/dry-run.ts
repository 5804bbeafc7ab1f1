import type { Reading } from '@pcf-edge/core';
import { formatSerialLine } from '@pcf-edge/profiles';
import type { ModbusCollector } from './collector';
import { DEFAULT_TCP_PORT, type CollectorConfig, type DeviceConfig, type Transport } from './config';
import type { Hole } from './planner';

export interface DryRunRequest {
  unitId: number;
  functionCode: number;
  address: number;
  count: number;
  points: string[];
}

export interface DryRunReport {
  site: string;
  meters: {
    id: string;
    device: string;
    transport: Transport;
    /** tcp and rtuOverTcp. */
    host?: string;
    port?: number;
    /** rtu and rtuOverTcp: the serial device (rtu) and the line, e.g. `9600 8E1`. */
    serial?: { path?: string; line: string };
    unitId: number;
    requests: DryRunRequest[];
    holes: Hole[];
    readings: Pick<Reading, 'point' | 'quantity' | 'value' | 'unit' | 'quality' | 'qualityReason'>[];
  }[];
}

/**
 * Connects, polls every meter once and reports the requests actually sent (after any exception-2 split) and
 * one decoded value per point. Addresses are the 0-based ones on the wire.
 */
export async function dryRun(config: Readonly<CollectorConfig>, collector: ModbusCollector): Promise<DryRunReport> {
  const readings = await collector.pollOnce();
  const meters = collector.pollers().map((p) => {
    const device = config.devices.find((d) => d.id === p.meter.device);
    if (!device) throw new Error(`meter ${p.meter.id}: device ${p.meter.device} missing from a validated config`);
    return {
      id: p.meter.id,
      device: p.meter.device,
      ...where(device),
      unitId: p.meter.unitId,
      requests: p.plan.map((r) => ({
        unitId: r.unitId,
        functionCode: r.functionCode,
        address: r.address,
        count: r.count,
        points: r.points.map((x) => x.point.name),
      })),
      holes: [...p.holes],
      readings: readings
        .filter((r) => r.meterId === p.meter.id)
        .map(({ point, quantity, value, unit, quality, qualityReason }) => ({
          point,
          quantity,
          value,
          unit,
          quality,
          ...(qualityReason ? { qualityReason } : {}),
        })),
    };
  });
  return { site: config.site, meters };
}

function where(d: DeviceConfig): Pick<DryRunReport['meters'][number], 'transport' | 'host' | 'port' | 'serial'> {
  const tcp = d.transport === 'rtu' ? {} : { host: d.host, port: d.port ?? DEFAULT_TCP_PORT };
  const serial = d.serial
    ? { serial: { ...(d.serial.path ? { path: d.serial.path } : {}), line: formatSerialLine(d.serial) } }
    : {};
  return { transport: d.transport, ...tcp, ...serial };
}

/** `127.0.0.1:502`, `rtu /dev/ttyUSB0 9600 8E1`, `rtuOverTcp 10.0.0.5:4001 9600 8E1`. */
function describe(m: DryRunReport['meters'][number]): string {
  const at = m.transport === 'rtu' ? m.serial?.path : `${m.host}:${m.port}`;
  return m.transport === 'tcp' ? `${at}` : `${m.transport} ${at} ${m.serial?.line ?? ''}`;
}

export function formatDryRun(report: DryRunReport): string {
  const lines = [`site ${report.site}`];
  for (const m of report.meters) {
    lines.push(`meter ${m.id}  device ${m.device} (${describe(m)})  unit ${m.unitId}`);
    for (const r of m.requests) {
      lines.push(
        `  request unit ${r.unitId} FC${r.functionCode} address ${r.address} count ${r.count}  [${r.points.join(', ')}]`,
      );
    }
    for (const h of m.holes)
      lines.push(`  hole ${h.table} ${h.from}..${h.to} (exception 2; reads no longer bridge it)`);
    for (const r of m.readings) {
      const value = r.value === null ? 'null' : String(r.value);
      lines.push(`  ${r.point} = ${value} ${r.unit}  ${r.quality}${r.qualityReason ? ` (${r.qualityReason})` : ''}`);
    }
  }
  return lines.join('\n');
}
