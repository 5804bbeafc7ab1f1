import {
  bitsOf,
  divideToInteger,
  effectiveModulus,
  encodePoint,
  encodeRaw,
  isFloat,
  isUnsigned,
  pointRange,
  scaleInteger,
  type PointDefinition,
} from '@pcf-edge/profiles';
import type { Fault } from '../faults';
import type { MeterModel } from './meter';

/** The parts of a point definition that decide its value (OPC UA nodes use the same rules without an address). */
export type ValuePoint = Pick<
  PointDefinition,
  'name' | 'quantity' | 'kind' | 'type' | 'scale' | 'offset' | 'modulus' | 'wordOrder'
>;

/** A counter point's state after its last counter event: value `base` at the instant `sinceMs`. */
interface CounterBase {
  base: number;
  sinceMs: number | undefined;
}

/** Counter steps a rollover event leaves below the modulus by default. */
const ROLLOVER_STEPS = 10;

function counterBase(meter: MeterModel, p: ValuePoint, events: readonly Fault[]): CounterBase {
  const modulus = effectiveModulus(p as PointDefinition) ?? signedWrap(p);
  let state: CounterBase = { base: meter.initial[p.quantity] ?? 0, sinceMs: undefined };
  for (const e of events) {
    if (e.type === 'counterReset') state = { base: 0, sinceMs: e.atMs };
    else if (e.type === 'meterReplacement') state = { base: e.startValue ?? 1, sinceMs: e.atMs };
    else if (e.type === 'rollover' && modulus !== undefined)
      state = { base: modulus - (e.belowModulus ?? ROLLOVER_STEPS * p.scale), sinceMs: e.atMs };
  }
  return state;
}

/** Signed integer counters wrap back to 0 past their largest positive value, like the meters that use them. */
function signedWrap(p: ValuePoint): number | undefined {
  if (isFloat(p.type) || isUnsigned(p.type)) return undefined;
  return scaleInteger(1n << BigInt(bitsOf(p.type) - 1), p.scale);
}

/**
 * The raw register count of an integer counter at t: base count + whole steps consumed since the last event,
 * modulo the wrap value. Exact (bigint) for 64-bit counters.
 */
function counterRaw(meter: MeterModel, p: ValuePoint, t: number, events: readonly Fault[]): bigint {
  const { base, sinceMs } = counterBase(meter, p, events);
  const delta = meter.consumption(p.quantity, t) - (sinceMs === undefined ? 0 : meter.consumption(p.quantity, sinceMs));
  let raw = divideToInteger(base - p.offset, p.scale) + BigInt(Math.floor(Math.max(0, delta) / p.scale));
  const modulus = effectiveModulus(p as PointDefinition) ?? signedWrap(p);
  if (modulus !== undefined) {
    const m = divideToInteger(modulus, p.scale);
    raw = ((raw % m) + m) % m;
  }
  return raw;
}

/**
 * The value a healthy meter's point shows at t, in the canonical unit, with the counter events in `events`
 * (those of this meter, at or before t). Integer counters are whole register steps (what a correct decoder gets
 * exactly); float counters are unrounded (the register holds the nearest float).
 */
export function pointValue(meter: MeterModel, p: ValuePoint, t: number, events: readonly Fault[]): number {
  if (p.kind === 'gauge') return meter.gauge(p.quantity, p.name, t);
  if (!isFloat(p.type)) return scaleInteger(counterRaw(meter, p, t, events), p.scale) + p.offset;
  const { base, sinceMs } = counterBase(meter, p, events);
  const v =
    base + meter.consumption(p.quantity, t) - (sinceMs === undefined ? 0 : meter.consumption(p.quantity, sinceMs));
  const modulus = effectiveModulus(p as PointDefinition);
  return modulus === undefined ? v : v % modulus;
}

/** Register words of a point at t (healthy meter; transport faults are applied by the server). */
export function pointWords(meter: MeterModel, p: ValuePoint, t: number, events: readonly Fault[]): number[] {
  if (p.kind === 'counter' && !isFloat(p.type)) return encodeRaw(counterRaw(meter, p, t, events), p.type, p.wordOrder);
  const v = pointValue(meter, p, t, events);
  const range = pointRange(p as PointDefinition);
  return encodePoint(range ? Math.min(range.max, Math.max(range.min, v)) : v, p as PointDefinition);
}

/** Serial number at t: the configured one, then one per meterReplacement (its `serial`, or `<first>-R<n>`). */
export function serialAt(meter: MeterModel, events: readonly Fault[]): string {
  let serial = meter.serial;
  let n = 0;
  for (const e of events) {
    if (e.type === 'meterReplacement') {
      n++;
      serial = e.serial ?? `${meter.serial}-R${n}`;
    }
  }
  return serial;
}
