/**
 * Display filtering for gauge points (power, voltage, flow): a deadband that hides changes smaller than
 * `deadband`, and a spike filter that holds a jump larger than `spikeThreshold` until the next value confirms it
 * (the next value lies within the threshold of the held one) or refutes it (the held value is dropped).
 * Pure: `advanceGauge` never mutates its input.
 */
export interface GaugeSettings {
  /** Changes smaller than this (canonical unit) repeat the last shown value; 0 disables. */
  deadband: number;
  /** Jumps larger than this wait for confirmation; null disables. */
  spikeThreshold: number | null;
  /** Consecutive accepted values further apart than this do not count as coverage. */
  maxGapMs: number;
}

export interface GaugeSample {
  ts: number;
  value: number;
}

export interface GaugeState {
  last: GaugeSample | null;
  held: GaugeSample | null;
}

/** A value to book: `prevTs` is the previous accepted value's time (coverage runs from there), null if none. */
export interface AcceptedGauge extends GaugeSample {
  prevTs: number | null;
}

export interface GaugeStep {
  state: GaugeState;
  accepted: AcceptedGauge[];
  /** Older than the newest value seen: booked in its window for min/max/mean but not as last or coverage. */
  late: boolean;
  /** A held value was refuted and dropped. */
  spikeDropped: boolean;
}

export const EMPTY_GAUGE_STATE: GaugeState = Object.freeze({ last: null, held: null });

function accept(last: GaugeSample | null, v: GaugeSample, s: GaugeSettings): AcceptedGauge {
  const shown = last !== null && Math.abs(v.value - last.value) < s.deadband ? last.value : v.value;
  return { ts: v.ts, value: shown, prevTs: last === null ? null : last.ts };
}

function isJump(last: GaugeSample | null, v: GaugeSample, s: GaugeSettings): boolean {
  return last !== null && s.spikeThreshold !== null && Math.abs(v.value - last.value) > s.spikeThreshold;
}

export function advanceGauge(state: GaugeState, sample: GaugeSample, s: GaugeSettings): GaugeStep {
  if (!Number.isFinite(sample.value) || !Number.isFinite(sample.ts))
    return { state, accepted: [], late: false, spikeDropped: false };
  const newest = state.held?.ts ?? state.last?.ts ?? -Infinity;
  if (sample.ts <= newest) {
    return { state, accepted: [{ ts: sample.ts, value: sample.value, prevTs: null }], late: true, spikeDropped: false };
  }
  const accepted: AcceptedGauge[] = [];
  let last = state.last;
  let spikeDropped = false;
  if (state.held !== null) {
    const held = state.held;
    if (Math.abs(sample.value - held.value) <= (s.spikeThreshold ?? Infinity)) {
      const a = accept(last, held, s);
      accepted.push(a);
      last = { ts: a.ts, value: a.value };
    } else {
      spikeDropped = true;
    }
  }
  if (isJump(last, sample, s)) return { state: { last, held: { ...sample } }, accepted, late: false, spikeDropped };
  const a = accept(last, sample, s);
  accepted.push(a);
  return { state: { last: { ts: a.ts, value: a.value }, held: null }, accepted, late: false, spikeDropped };
}
