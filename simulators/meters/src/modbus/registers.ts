import {
  encodePoint,
  encodeRaw,
  intRange,
  isFloat,
  isUnsigned,
  registerCount,
  type PointDefinition,
  type RegisterTable,
} from '@pcf-edge/profiles';
import type { Fault, FaultBook } from '../faults';
import type { MeterModel } from '../model/meter';
import { hash32 } from '../model/random';
import { pointWords } from '../model/render';

/** Register address → (point, index of the word inside the point), per table. */
export type RegisterIndex = Map<RegisterTable, Map<number, { point: PointDefinition; word: number }>>;

export function indexRegisters(points: readonly PointDefinition[]): RegisterIndex {
  const index: RegisterIndex = new Map();
  for (const p of points) {
    let table = index.get(p.table);
    if (!table) index.set(p.table, (table = new Map()));
    for (let i = 0; i < registerCount(p.type); i++) table.set(p.address + i, { point: p, word: i });
  }
  return index;
}

/** Words a meter sends for a point whose value is "not available": NaN for floats, the SunSpec-style marker else. */
function notAvailable(p: PointDefinition): number[] {
  if (isFloat(p.type)) return encodePoint(NaN, p);
  const { min, max } = intRange(p.type);
  return encodeRaw(isUnsigned(p.type) ? max : min, p.type, p.wordOrder);
}

/** The words of one point at t, with the value faults (stuck, nan, garbage; the latest started wins) applied. */
function faultedWords(
  meter: MeterModel,
  p: PointDefinition,
  t: number,
  valueFault: Fault | undefined,
  faults: FaultBook,
  seed: number,
): number[] {
  if (!valueFault) return pointWords(meter, p, t, faults.counterEvents(meter.faultTargets, t));
  if (valueFault.type === 'stuck')
    return pointWords(meter, p, valueFault.atMs, faults.counterEvents(meter.faultTargets, valueFault.atMs));
  if (valueFault.type === 'nan') return notAvailable(p);
  const n = registerCount(p.type);
  return Array.from(
    { length: n },
    (_, i) => hash32(seed, meter.id, p.table, p.address + i, Math.floor(t / 1000)) & 0xffff,
  );
}

export type ReadResult = { words: number[] } | { exception: number } | { noReply: true };

/**
 * Answers a read of `length` registers from `address` in `table` of a meter at simulated time t: transport faults
 * first (noReply, then exception), then the device's own limits (exception 3 past maxRegistersPerRead, exception
 * 2 when any register in the range is unmapped), then the values.
 */
export function readRegisters(
  meter: MeterModel,
  maxPerRead: number,
  index: RegisterIndex,
  req: { table: RegisterTable; address: number; length: number },
  t: number,
  faults: FaultBook,
  seed: number,
): ReadResult {
  const active = faults.activeTransport(meter.faultTargets, t);
  if (active.some((f) => f.type === 'noReply')) return { noReply: true };
  const ex = active.find((f) => f.type === 'exception');
  if (ex) return { exception: ex.code ?? 4 };
  if (req.length < 1 || req.length > maxPerRead) return { exception: 3 };
  const table = index.get(req.table);
  const valueFault = [...active].reverse().find((f) => f.type === 'stuck' || f.type === 'nan' || f.type === 'garbage');
  const words: number[] = [];
  const cache = new Map<PointDefinition, number[]>();
  for (let a = req.address; a < req.address + req.length; a++) {
    const slot = table?.get(a);
    if (!slot) return { exception: 2 };
    let pw = cache.get(slot.point);
    if (!pw) cache.set(slot.point, (pw = faultedWords(meter, slot.point, t, valueFault, faults, seed)));
    words.push(pw[slot.word] as number);
  }
  return { words };
}
