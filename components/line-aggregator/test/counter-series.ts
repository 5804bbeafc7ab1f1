/**
 * Generator of counter series for the property tests (counter-property.test.ts, aggregator-vs-engine.test.ts): rollovers,
 * resets, replacements, gaps, noise, glitches, plausible-looking outliers, bursts and late (out-of-order) arrivals,
 * limited to situations the
 * algorithm can tell apart (see counter-property.test.ts and docs/adr/0040-counter-engine.md).
 */
import fc from 'fast-check';
import type { CounterSample, CounterSettings } from '../src/counter/counter-engine';
import { BASE_SETTINGS } from './engine-helpers';

/** The generated counters' modulus. */
export const M = 10_000;
const AMP = 0.02;
type OpKind = 'normal' | 'gap' | 'reset' | 'replace' | 'spike' | 'zero' | 'outlier' | 'burst';

export interface Op {
  kind: OpKind;
  dtMs: number;
  gapMs: number;
  rate: number;
  noise: number;
  swap: boolean;
  start: number | null;
}

export const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<OpKind>(
    'normal',
    'normal',
    'normal',
    'normal',
    'normal',
    'normal',
    'gap',
    'reset',
    'replace',
    'spike',
    'zero',
    'outlier',
    'burst',
  ),
  dtMs: fc.integer({ min: 1000, max: 60_000 }),
  gapMs: fc.integer({ min: 5 * 60_000 + 1, max: 2 * 3_600_000 }),
  // Integers scaled down: fc.double favours the ends of its range, which would leave the middle untested.
  rate: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 500_000 }).map((n) => n / 1e6),
  ),
  noise: fc.oneof(
    fc.constant(0),
    fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 1e6),
  ),
  swap: fc.boolean(),
  start: fc.option(fc.integer({ min: 0, max: 400 }).map((n) => n / 8)),
});

export interface Gen {
  delivered: CounterSample[];
  truth: number;
  gaps: Array<[number, number]>;
  settings: CounterSettings;
}

interface Emitted {
  sample: CounterSample;
  kind: OpKind | 'first' | 'glitch';
  inc: number;
  noise: number;
}

const farFromModulus = (v: number): boolean => v >= 1000 && v <= 4500;

export function simulate(t0: number, v0: number, ops: Op[]): Gen {
  const settings: CounterSettings = {
    ...BASE_SETTINGS,
    modulus: M,
    maxRatePerHour: 3600,
    noiseTolerance: 0.05,
    maxGapMs: 5 * 60_000,
    replacementStart: {},
  };
  const starts: Record<string, number> = {};
  let t = t0;
  let value = v0;
  let serial = 'S0';
  let truth = 0;
  /** Ops to force to normal: confirmations of a reset or burst; an outlier's fall and its confirmation (maybe swapped). */
  let forceNormal = 0;
  /**
   * After an outlier: the value the reading that confirms its fall must stay below. Within noise of the outlier (plus
   * the jitter `deliver` may add), that reading would read as the outlier's jitter, and the fall between them as a
   * bad reading — the other story the same numbers tell, so not one the engine can be asked to tell apart.
   */
  let confirmBelow: number | null = null;
  const out: Emitted[] = [{ sample: { ts: t, value, serial }, kind: 'first', inc: 0, noise: 0 }];
  const gaps: Array<[number, number]> = [];
  for (const [i, op] of [...ops, ...ops.slice(0, 2).map((o) => ({ ...o, kind: 'normal' as const }))].entries()) {
    let kind: OpKind = forceNormal > 0 ? 'normal' : op.kind;
    if (forceNormal > 0) forceNormal -= 1;
    if ((kind === 'reset' || kind === 'zero') && !farFromModulus(value)) kind = 'normal';
    if (kind === 'spike' && value >= 8000) kind = 'normal';
    if (kind === 'spike' || kind === 'zero') {
      out.push({
        sample: { ts: t + 500, value: kind === 'zero' ? 0 : value + 2000, serial },
        kind: 'glitch',
        inc: 0,
        noise: 0,
      });
      t += 500;
      kind = 'normal';
    }
    let outlier = false;
    if (kind === 'outlier') {
      // A bad value within the plausible bound of the reading before (0.75 over 500 ms), 0.3 above the real
      // reading that follows: that reading reads as a fall (beyond noise) the one after it confirms.
      const next = (op.rate * op.dtMs) / 1000;
      if (farFromModulus(value) && next <= 0.4) {
        out.push({ sample: { ts: t + 500, value: value + next + 0.3, serial }, kind: 'glitch', inc: 0, noise: 0 });
        confirmBelow = value + next + 0.3 - settings.noiseTolerance - AMP - 0.01;
        t += 500;
        outlier = true;
      }
      kind = 'normal';
    }
    const dt = kind === 'gap' ? op.gapMs : op.dtMs;
    let inc = (op.rate * dt) / 1000;
    if (kind === 'burst') {
      inc = (4.5 * dt) / 1000;
      if (value + inc >= M) {
        kind = 'normal';
        inc = (op.rate * dt) / 1000;
      }
    }
    if (confirmBelow !== null && !outlier) {
      // this op reads the confirmation (the outlier's own op read the fall): keep its rise short of the outlier
      inc = Math.min(inc, Math.max(0, confirmBelow - value));
      confirmBelow = null;
    }
    const from = t;
    t += dt;
    truth += inc;
    if (kind === 'reset') {
      value = inc;
    } else if (kind === 'replace') {
      serial = `S${i + 1}`;
      const start = op.start ?? 0;
      if (op.start !== null) starts[serial] = start;
      value = start + inc;
    } else {
      value += inc;
      if (value >= M) value -= M;
    }
    if (kind === 'gap') gaps.push([from, t]);
    if (kind === 'reset' || kind === 'burst') forceNormal = 1;
    if (outlier) forceNormal = 2;
    out.push({ sample: { ts: t, value, serial }, kind, inc, noise: op.noise });
  }
  settings.replacementStart = starts;
  return { delivered: deliver(out, ops), truth, gaps, settings };
}

/** Applies noise where the rules allow it, then swaps neighbouring normal readings to make late arrivals. */
function deliver(out: Emitted[], ops: Op[]): CounterSample[] {
  const samples = out.map((e, i) => {
    const next = out.slice(i + 1).find((n) => n.kind !== 'glitch');
    // no jitter on the reading after an outlier: the engine compares it with the reading before the outlier exactly
    const noisy =
      (e.kind === 'normal' || e.kind === 'gap') &&
      out[i - 1]?.kind !== 'glitch' &&
      next !== undefined &&
      (next.kind === 'normal' || next.kind === 'gap') &&
      next.inc >= 2 * AMP &&
      e.sample.value >= AMP &&
      e.sample.value <= M - AMP;
    return noisy ? { ...e.sample, value: e.sample.value + e.noise * AMP } : e.sample;
  });
  for (let i = 1; i + 1 < samples.length - 1; i++) {
    if (ops[i % ops.length]!.swap && out[i]!.kind === 'normal' && out[i + 1]!.kind === 'normal') {
      [samples[i], samples[i + 1]] = [samples[i + 1]!, samples[i]!];
      i++;
    }
  }
  return samples;
}
