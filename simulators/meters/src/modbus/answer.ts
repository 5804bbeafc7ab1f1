import type { Clock, Logger } from '@pcf-edge/core';
import type { FaultBook } from '../faults';
import type { World } from '../model/world';
import type { ModbusDevice } from '../scenario/types';
import { indexRegisters, readRegisters, type RegisterIndex } from './registers';

/**
 * What a simulated Modbus device answers, whatever the framing (Modbus TCP in tcp-device.ts, RTU in
 * rtu-device.ts), after the MODBUS Application Protocol Specification V1.1b3 §6 and §7.
 */

/** One simulated Modbus device: its server, started and stopped by the simulator. */
export interface ModbusDeviceServer {
  readonly id: string;
  /** The bound TCP port (the configured one, or the ephemeral one chosen at the first start); 0 for a serial bus. */
  readonly port: number;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Closes every open client connection (nothing on a serial bus). */
  dropConnections(): void;
}

export interface DeviceContext {
  world: World;
  faults: FaultBook;
  clock: Clock;
  log: Logger;
  /** True while a disconnect fault holds: new connections are closed at once. */
  refusing(deviceId: string): boolean;
}

/** A unit id served by a device: its meter, register map and read limit. */
export interface Unit {
  meterId: string;
  index: RegisterIndex;
  maxPerRead: number;
  replyTimeMs: number;
}

export function unitsOf(device: ModbusDevice, world: World): Map<number, Unit> {
  const units = new Map<number, Unit>();
  for (const m of device.meters) {
    const info = world.modbus.get(m.id);
    if (info)
      units.set(m.unitId, {
        meterId: m.id,
        index: indexRegisters(info.profile.points),
        maxPerRead: Math.min(125, info.profile.maxRegistersPerRead ?? 125),
        replyTimeMs: m.replyTimeMs,
      });
  }
  return units;
}

export type Answer = { words: number[] } | { exception: number } | { noReply: true };

/** Function codes the simulator knows: reads of registers are served; bits and writes are refused (exception 2). */
const REFUSED = new Set([1, 2, 5, 6, 15, 16]);

/**
 * The answer of `unit` to a request at the simulator's current time: FC3/FC4 reads from the meter's registers with
 * its faults applied (registers.ts), exception 2 for coils, discrete inputs and writes, exception 1 for anything
 * else.
 */
export function answerRequest(
  unit: Unit,
  ctx: DeviceContext,
  functionCode: number,
  address: number,
  count: number,
): Answer {
  if (functionCode !== 3 && functionCode !== 4) return { exception: REFUSED.has(functionCode) ? 2 : 1 };
  const meter = ctx.world.meters.get(unit.meterId);
  if (!meter) return { noReply: true };
  const table = functionCode === 3 ? 'holding' : 'input';
  return readRegisters(
    meter,
    unit.maxPerRead,
    unit.index,
    { table, address, length: count },
    ctx.clock.now(),
    ctx.faults,
    ctx.world.seed,
  );
}

/** The reply PDU (function code and data) of an answer that is not silence. */
export function replyPdu(functionCode: number, answer: Exclude<Answer, { noReply: true }>): Buffer {
  if ('exception' in answer) return Buffer.from([functionCode | 0x80, answer.exception]);
  const pdu = Buffer.allocUnsafe(2 + answer.words.length * 2);
  pdu[0] = functionCode;
  pdu[1] = answer.words.length * 2;
  answer.words.forEach((w, i) => pdu.writeUInt16BE(w, 2 + i * 2));
  return pdu;
}
