import { windowStartOf, type CounterMethod } from '@pcf-edge/core';
import type { Segment } from './counter-engine';

/** The part of a segment that falls into one UTC-aligned window. */
export interface WindowShare {
  /** Window start, epoch ms. */
  start: number;
  delta: number;
  /** Milliseconds of the segment inside the window. */
  overlapMs: number;
}

/**
 * Splits a segment's delta over the windows it spans. A segment covers the half-open time range [t0, t1); a
 * window [s, s + windowMs). Continuous quantities (energy, volume) are split in proportion to time, which is
 * linear interpolation of the counter at each window edge; the last share takes the remainder so the shares add
 * up to the delta. Discrete quantities (unit counts) are not interpolated: a measured step is booked whole in the
 * window where it was observed (the one holding t1 − 1 ms); a gap is spread by largest remainder so each window
 * gets whole units. A revoked segment (negative delta) gets exactly the negated shares of the measured segment it
 * takes back.
 */
export function allocateSegment(seg: Segment, windowMs: number, discrete: boolean): WindowShare[] {
  if (seg.delta < 0) {
    return allocateSegment({ ...seg, delta: -seg.delta }, windowMs, discrete).map((sh) => ({
      ...sh,
      delta: -sh.delta,
    }));
  }
  const first = windowStartOf(seg.t0, windowMs);
  const last = windowStartOf(seg.t1 - 1, windowMs);
  const total = seg.t1 - seg.t0;
  const shares: WindowShare[] = [];
  for (let s = first; s <= last; s += windowMs) {
    const overlapMs = Math.min(seg.t1, s + windowMs) - Math.max(seg.t0, s);
    shares.push({ start: s, delta: 0, overlapMs });
  }
  if (shares.length === 1) {
    shares[0]!.delta = seg.delta;
  } else if (discrete && !seg.gap) {
    shares[shares.length - 1]!.delta = seg.delta;
  } else if (discrete && Number.isInteger(seg.delta)) {
    spreadWhole(shares, seg.delta, total);
  } else {
    let booked = 0;
    for (let i = 0; i < shares.length - 1; i++) {
      const sh = shares[i]!;
      sh.delta = (seg.delta * sh.overlapMs) / total;
      booked += sh.delta;
    }
    shares[shares.length - 1]!.delta = Math.max(0, seg.delta - booked);
  }
  return shares;
}

/** Largest-remainder apportionment of `units` whole units in proportion to overlap (ties: earlier window). */
function spreadWhole(shares: WindowShare[], units: number, total: number): void {
  const exact = shares.map((sh) => (units * sh.overlapMs) / total);
  let left = units;
  shares.forEach((sh, i) => {
    sh.delta = Math.floor(exact[i]!);
    left -= sh.delta;
  });
  const order = shares
    .map((_, i) => i)
    .sort((a, b) => exact[b]! - Math.floor(exact[b]!) - (exact[a]! - Math.floor(exact[a]!)) || a - b);
  for (let k = 0; k < left; k++) shares[order[k % order.length]!]!.delta += 1;
}

/** Accumulated counter consumption of one point in one window. JSON-serialisable (persisted while open). */
export interface CounterWindowAcc {
  start: number;
  delta: number;
  /** Milliseconds covered by good data (gaps excluded). */
  coveredMs: number;
  methods: CounterMethod[];
  flags: string[];
  estimated: boolean;
  /** Good readings whose timestamp lies in the window. */
  readingCount: number;
}

export function emptyCounterAcc(start: number): CounterWindowAcc {
  return { start, delta: 0, coveredMs: 0, methods: [], flags: [], estimated: false, readingCount: 0 };
}

export function addUnique<T>(list: T[], item: T): void {
  if (!list.includes(item)) list.push(item);
}

const CAUSE_FLAG: Record<Segment['cause'], string | null> = {
  measured: null,
  rollover: 'rollover',
  reset: 'reset',
  replacement: 'replacement',
  quarantined: 'quarantine',
  revoked: 'quarantine',
};

/** Books one share of a segment into a window accumulator. */
export function bookShare(
  acc: CounterWindowAcc,
  seg: Segment,
  share: WindowShare,
  spansWindows: boolean,
  discrete: boolean,
): void {
  acc.delta += share.delta;
  if (seg.cause === 'revoked') {
    // Takes back a measured share booked earlier: its coverage goes with it; the replacement segment books its own.
    acc.coveredMs -= share.overlapMs;
    addUnique(acc.flags, 'quarantine');
    return;
  }
  if (seg.gap) {
    addUnique(acc.methods, 'gapSpread');
    addUnique(acc.flags, 'gap');
    if (seg.cause !== 'measured') addUnique(acc.methods, seg.cause);
    acc.estimated = true;
  } else {
    acc.coveredMs += share.overlapMs;
    addUnique(acc.methods, seg.cause);
    if (spansWindows && !discrete) addUnique(acc.methods, 'interpolated');
  }
  const flag = CAUSE_FLAG[seg.cause];
  if (flag !== null) addUnique(acc.flags, flag);
}
