import {
  advanceCounter,
  EMPTY_COUNTER_STATE,
  type CounterEventOut,
  type CounterSample,
  type CounterSettings,
  type CounterState,
} from '../src/counter/counter-engine';
import { allocateSegment, bookShare, emptyCounterAcc, type CounterWindowAcc } from '../src/counter/allocate';

export const BASE_SETTINGS: CounterSettings = {
  modulus: null,
  maxRatePerHour: null,
  plausibilityMargin: 1.5,
  noiseTolerance: 0,
  noiseToleranceRelative: 0,
  maxGapMs: 15 * 60_000,
  replacementStart: {},
};

export interface SeriesResult {
  windows: Map<number, CounterWindowAcc>;
  events: CounterEventOut[];
  state: CounterState;
  late: number;
}

/** Runs samples (in delivery order) through the counter engine and books the segments into windows. */
export function runSeries(
  samples: CounterSample[],
  settings: CounterSettings,
  windowMs: number,
  discrete = false,
): SeriesResult {
  let state = EMPTY_COUNTER_STATE;
  const windows = new Map<number, CounterWindowAcc>();
  const events: CounterEventOut[] = [];
  let late = 0;
  for (const sample of samples) {
    const step = advanceCounter(state, sample, settings);
    state = step.state;
    if (step.late) late++;
    events.push(...step.events);
    for (const seg of step.segments) {
      const shares = allocateSegment(seg, windowMs, discrete);
      for (const share of shares) {
        let acc = windows.get(share.start);
        if (!acc) windows.set(share.start, (acc = emptyCounterAcc(share.start)));
        bookShare(acc, seg, share, shares.length > 1, discrete);
      }
    }
  }
  return { windows, events, state, late };
}

export function deltas(r: SeriesResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [start, acc] of [...r.windows].sort((a, b) => a[0] - b[0])) out[new Date(start).toISOString()] = acc.delta;
  return out;
}

export const s = (ts: number, value: number, serial: string | null = null): CounterSample => ({ ts, value, serial });
