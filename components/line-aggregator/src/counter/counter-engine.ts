/**
 * The counter engine: turns successive readings of one cumulative counter into consumption segments.
 * Pure (no I/O, no clock): `advanceCounter(state, sample, settings)` returns the next state, the segments to book
 * and the counter events to record. The algorithm is described in docs/method/consumption.md; the choices behind it are
 * recorded in docs/adr/0040-counter-engine.md.
 *
 * Contract: for any sequence of samples, the sum of the booked segment deltas equals the last good counter value
 * minus the first, with rollovers, resets and replacements accounted for. Deltas are never negative, except for a
 * `revoked` segment, which takes back exactly a measured segment booked earlier over the same time range.
 */

/** Per-point settings, all values in the quantity's canonical unit. */
export interface CounterSettings {
  /** Value at which the register wraps to 0 (2^bits × scale, or the meter's rollover value); null: never wraps. */
  modulus: number | null;
  /** Highest plausible consumption per hour; null disables the plausibility bound. */
  maxRatePerHour: number | null;
  /** Factor (≥ 1) applied to maxRatePerHour × Δt before a step counts as implausible. */
  plausibilityMargin: number;
  /** A fall of at most max(noiseTolerance, noiseToleranceRelative × |previous|) is jitter, booked as 0. */
  noiseTolerance: number;
  noiseToleranceRelative: number;
  /** Steps between good readings longer than this are gaps: spread over their windows and flagged estimated. */
  maxGapMs: number;
  /** First counter value of a replacement meter, by its serial; a serial not listed starts at 0. */
  replacementStart: Readonly<Record<string, number>>;
}

export interface CounterSample {
  /** Epoch ms. */
  ts: number;
  value: number;
  serial: string | null;
}

export type PendingReason = 'jump' | 'drop';

export interface CounterState {
  /** Last good value that moved the counter; null before the first good reading. */
  anchor: CounterSample | null;
  /** A suspicious reading held until the next one confirms or refutes it. */
  pending: (CounterSample & { reason: PendingReason }) | null;
  /**
   * The anchor before `anchor` when the step between them was booked as one measured segment (no gap, delta > 0):
   * a step a later reading can still prove to have ended on an outlier. Absent or null otherwise.
   */
  prev?: CounterSample | null;
}

export type SegmentCause = 'measured' | 'rollover' | 'reset' | 'replacement' | 'quarantined' | 'revoked';

/**
 * Consumption `delta` (≥ 0) between two good readings at t0 < t1 (epoch ms). A `revoked` segment has the negative
 * delta of the measured segment over the same [t0, t1) it takes back (that step ended on an outlier).
 */
export interface Segment {
  t0: number;
  t1: number;
  delta: number;
  cause: SegmentCause;
  /** t1 − t0 > maxGapMs: spread over the windows in proportion to time and flagged estimated. */
  gap: boolean;
}

export type CounterEventKind =
  'rollover' | 'reset' | 'replacement' | 'quarantine' | 'quarantineConfirmed' | 'quarantineRefuted' | 'outlier' | 'gap';

export interface CounterEventOut {
  ts: number;
  kind: CounterEventKind;
  detail: Record<string, unknown>;
}

export interface CounterStep {
  state: CounterState;
  segments: Segment[];
  events: readonly CounterEventOut[];
  /** The sample was not newer than the point's last good or pending reading and was ignored. */
  late: boolean;
}

export const EMPTY_COUNTER_STATE: CounterState = Object.freeze({ anchor: null, pending: null, prev: null });
const NO_EVENTS: readonly CounterEventOut[] = Object.freeze([]);

type Step =
  { type: 'measured' | 'rollover' | 'replacement'; delta: number } | { type: 'noise' } | { type: 'jump' | 'drop' };

export function noiseToleranceAt(value: number, s: CounterSettings): number {
  return Math.max(s.noiseTolerance, s.noiseToleranceRelative * Math.abs(value));
}

/** Largest plausible consumption over `dtMs`. */
export function plausibleBound(dtMs: number, s: CounterSettings): number {
  return s.maxRatePerHour === null ? Infinity : (s.maxRatePerHour * dtMs * s.plausibilityMargin) / 3_600_000;
}

function serialChanged(a: CounterSample, b: CounterSample): boolean {
  return a.serial !== null && b.serial !== null && a.serial !== b.serial;
}

/** Classifies the step from `from` to `to` (to.ts > from.ts). */
function classify(from: CounterSample, to: CounterSample, s: CounterSettings): Step {
  if (serialChanged(from, to)) {
    return { type: 'replacement', delta: Math.max(0, to.value - (s.replacementStart[to.serial ?? ''] ?? 0)) };
  }
  const d = to.value - from.value;
  const bound = plausibleBound(to.ts - from.ts, s);
  if (d >= 0) return d <= bound ? { type: 'measured', delta: d } : { type: 'jump' };
  if (-d <= noiseToleranceAt(from.value, s)) return { type: 'noise' };
  if (s.modulus !== null) {
    const wrapped = s.modulus - from.value + to.value;
    if (wrapped >= 0 && wrapped <= bound && wrapped < s.modulus / 2) return { type: 'rollover', delta: wrapped };
  }
  return { type: 'drop' };
}

function segment(
  from: CounterSample,
  to: CounterSample,
  delta: number,
  cause: SegmentCause,
  s: CounterSettings,
): Segment {
  return { t0: from.ts, t1: to.ts, delta, cause, gap: to.ts - from.ts > s.maxGapMs };
}

/** Mutable accumulator for one call of advanceCounter. */
interface Work {
  anchor: CounterSample;
  pending: CounterState['pending'];
  prev: CounterSample | null;
  segments: Segment[];
  events: CounterEventOut[];
}

function book(w: Work, to: CounterSample, delta: number, cause: SegmentCause, s: CounterSettings): void {
  const seg = segment(w.anchor, to, delta, cause, s);
  w.segments.push(seg);
  if (seg.gap) w.events.push({ ts: to.ts, kind: 'gap', detail: { fromTs: seg.t0, toTs: seg.t1, delta } });
  w.prev = cause === 'measured' && !seg.gap && delta > 0 ? w.anchor : null;
  w.anchor = to;
}

/** Applies `sample` from the anchor (no pending reading). */
function applyFromAnchor(w: Work, sample: CounterSample, s: CounterSettings): void {
  const a = w.anchor;
  const step = classify(a, sample, s);
  switch (step.type) {
    case 'measured':
      book(w, sample, step.delta, 'measured', s);
      return;
    case 'rollover':
      w.events.push({
        ts: sample.ts,
        kind: 'rollover',
        detail: { previous: a.value, current: sample.value, modulus: s.modulus },
      });
      book(w, sample, step.delta, 'rollover', s);
      return;
    case 'replacement':
      w.events.push({
        ts: sample.ts,
        kind: 'replacement',
        detail: { previous: a.value, previousSerial: a.serial, current: sample.value, serial: sample.serial },
      });
      book(w, sample, step.delta, 'replacement', s);
      return;
    case 'noise': {
      // Jitter: nothing consumed; keep the higher value but move the time on (the step is covered).
      const kept: CounterSample = { ts: sample.ts, value: a.value, serial: sample.serial ?? a.serial };
      book(w, kept, 0, 'measured', s);
      return;
    }
    case 'jump':
    case 'drop':
      w.pending = { ...sample, reason: step.type };
      w.events.push({
        ts: sample.ts,
        kind: 'quarantine',
        detail: { reason: step.type, anchor: a.value, value: sample.value },
      });
      return;
  }
}

/** Decides a pending reading with the sample that follows it, then applies the sample. */
function resolvePending(w: Work, sample: CounterSample, s: CounterSettings): void {
  const p = w.pending;
  if (!p) return applyFromAnchor(w, sample, s);
  w.pending = null;
  const a = w.anchor;
  // The sample continues from the pending value when it rises from it plausibly, stays within noise, or wraps
  // plausibly at the modulus. An implausible rise from the pending value confirms nothing: two garbage readings
  // in a row (random register words) would otherwise book a random lifetime total.
  const fromPending = classify(p, sample, s).type;
  const continuesFromPending = fromPending === 'measured' || fromPending === 'noise' || fromPending === 'rollover';
  let confirmed: boolean;
  if (p.reason === 'jump') {
    confirmed = continuesFromPending;
  } else {
    const fromAnchor = classify(a, sample, s).type;
    const normalFromAnchor = fromAnchor === 'measured' || fromAnchor === 'noise' || fromAnchor === 'rollover';
    confirmed = !normalFromAnchor && continuesFromPending;
  }
  const pendingSample: CounterSample = { ts: p.ts, value: p.value, serial: p.serial };
  if (!confirmed) {
    w.events.push({
      ts: sample.ts,
      kind: 'quarantineRefuted',
      detail: { reason: p.reason, anchor: a.value, value: p.value },
    });
    return applyFromAnchor(w, sample, s);
  }
  w.events.push({
    ts: sample.ts,
    kind: 'quarantineConfirmed',
    detail: { reason: p.reason, anchor: a.value, value: p.value },
  });
  if (p.reason === 'jump') {
    book(w, pendingSample, p.value - a.value, 'quarantined', s);
  } else if (w.prev !== null && endedOnOutlier(w.prev, pendingSample, s)) {
    // The confirmed fall lands where the counter stood before its last step and continues plausibly from there,
    // too far from 0 for a reset since then: that step ended on a plausible-looking bad value (an outlier).
    // Take the step back and book the real one from the reading before it.
    const before = w.prev;
    w.events.push({
      ts: p.ts,
      kind: 'outlier',
      detail: { previous: before.value, outlier: a.value, current: p.value },
    });
    w.segments.push({ t0: before.ts, t1: a.ts, delta: -(a.value - before.value), cause: 'revoked', gap: false });
    w.anchor = before;
    book(w, pendingSample, Math.max(0, p.value - before.value), 'quarantined', s);
  } else {
    w.events.push({ ts: p.ts, kind: 'reset', detail: { previous: a.value, current: p.value } });
    book(w, pendingSample, Math.max(0, p.value), 'reset', s);
  }
  applyFromAnchor(w, sample, s);
}

/**
 * Whether a confirmed fall to `to` shows that the step ending at the anchor (from `before`) ended on an outlier:
 * `to` continues plausibly from `before` (same meter, rising within the bound or within noise), and a reset after
 * `before` explains it worse — it could not have counted up to `to` within the plausible rate, or `to` lies nearer
 * `before` than 0 (a reset that counted back up to just above the reading before the outlier is a coincidence; a
 * value one bad word moved off is not).
 */
function endedOnOutlier(before: CounterSample, to: CounterSample, s: CounterSettings): boolean {
  const step = classify(before, to, s).type;
  if (step !== 'measured' && step !== 'noise') return false;
  return to.value > plausibleBound(to.ts - before.ts, s) || to.value - before.value < before.value;
}

/** Advances one counter point by one good sample. Never mutates `state`. */
export function advanceCounter(state: CounterState, sample: CounterSample, settings: CounterSettings): CounterStep {
  if (!Number.isFinite(sample.value) || !Number.isFinite(sample.ts)) {
    return { state, segments: [], events: [], late: false };
  }
  if (state.anchor === null) {
    return { state: { anchor: { ...sample }, pending: null, prev: null }, segments: [], events: [], late: false };
  }
  const newest = state.pending?.ts ?? state.anchor.ts;
  if (sample.ts <= newest) return { state, segments: [], events: [], late: true };
  if (state.pending === null) {
    // Fast path for the common step: measured consumption from the anchor.
    const step = classify(state.anchor, sample, settings);
    if (step.type === 'measured' && sample.ts - state.anchor.ts <= settings.maxGapMs) {
      const seg: Segment = { t0: state.anchor.ts, t1: sample.ts, delta: step.delta, cause: 'measured', gap: false };
      return {
        state: { anchor: { ...sample }, pending: null, prev: state.anchor },
        segments: [seg],
        events: NO_EVENTS,
        late: false,
      };
    }
  }
  const w: Work = { anchor: state.anchor, pending: state.pending, prev: state.prev ?? null, segments: [], events: [] };
  resolvePending(w, sample, settings);
  return {
    state: { anchor: w.anchor, pending: w.pending, prev: w.prev },
    segments: w.segments,
    events: w.events,
    late: false,
  };
}
