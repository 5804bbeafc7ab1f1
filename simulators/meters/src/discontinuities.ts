import type { Quantity } from '@pcf-edge/core';
import type { CounterEventType, Fault } from './faults';
import type { MeterModel } from './model/meter';
import { pointValue, type ValuePoint } from './model/render';

/**
 * A jump of one counter register that a counter event (counterReset, meterReplacement, rollover) applied, from a
 * scenario's schedule or injected later: what the register showed just before the event and from it on, both at
 * `atMs`, canonical unit. Events that leave a register as it was (a rollover on a register without a modulus, a
 * reset of a register at 0) record nothing.
 */
export interface RegisterDiscontinuity {
  meterId: string;
  point: string;
  quantity: Quantity;
  kind: CounterEventType;
  /** The fault that applied it. */
  faultId: string;
  /** Simulated epoch ms. */
  atMs: number;
  before: number;
  after: number;
  /**
   * Consumption the jump represents that no meter measured, as docs/method/consumption.md books it: `after − before` when the
   * register rose (a preset below the modulus, confirmed as a jump); `after` when it fell (a reset or a
   * replacement, counted from 0). Never negative; the true consumption (`MeterTruth.consumption`) excludes it.
   */
  unmeasured: number;
}

/** The discontinuities `events` (this meter's counter events, in time order) applied to its counter points. */
export function registerDiscontinuities(
  meter: MeterModel,
  points: readonly ValuePoint[],
  events: readonly Fault[],
): RegisterDiscontinuity[] {
  const out: RegisterDiscontinuity[] = [];
  events.forEach((e, i) => {
    for (const p of points) {
      if (p.kind !== 'counter') continue;
      const before = pointValue(meter, p, e.atMs, events.slice(0, i));
      const after = pointValue(meter, p, e.atMs, events.slice(0, i + 1));
      if (after === before) continue;
      const unmeasured = after > before ? after - before : Math.max(0, after);
      out.push({
        meterId: meter.id,
        point: p.name,
        quantity: p.quantity,
        kind: e.type as CounterEventType,
        faultId: e.id,
        atMs: e.atMs,
        before,
        after,
        unmeasured,
      });
    }
  });
  return out;
}
