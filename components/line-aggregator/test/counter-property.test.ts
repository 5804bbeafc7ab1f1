/**
 * Property: for generated counter series with rollovers, resets, replacements, gaps, noise, glitches, bursts and
 * late (out-of-order) arrivals, the window deltas add up to the generator's true consumption, no window is
 * negative, and every window a gap touches is flagged `gap` and estimated.
 *
 * The generator only produces situations the algorithm can tell apart (see docs/adr/0040-counter-engine.md):
 * resets and glitches happen while the counter is far from the modulus, the reading that ends a meter's era
 * (before a reset or replacement) and the last reading carry no noise, and the step after a noisy reading
 * consumes at least twice the noise amplitude.
 */
import fc from 'fast-check';
import type { CounterSample, CounterSettings } from '../src/counter/counter-engine';
import { BASE_SETTINGS, runSeries } from './engine-helpers';

const M = 10_000;
const AMP = 0.02;
type OpKind = 'normal' | 'gap' | 'reset' | 'replace' | 'spike' | 'zero' | 'burst';

interface Op {
  kind: OpKind;
  dtMs: number;
  gapMs: number;
  rate: number;
  noise: number;
  swap: boolean;
  start: number | null;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<OpKind>('normal', 'normal', 'normal', 'normal', 'normal', 'normal', 'gap', 'reset', 'replace', 'spike', 'zero', 'burst'),
  dtMs: fc.integer({ min: 1000, max: 60_000 }),
  gapMs: fc.integer({ min: 5 * 60_000 + 1, max: 2 * 3_600_000 }),
  // Integers scaled down: fc.double favours the ends of its range, which would leave the middle untested.
  rate: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 500_000 }).map((n) => n / 1e6)),
  noise: fc.oneof(fc.constant(0), fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 1e6)),
  swap: fc.boolean(),
  start: fc.option(fc.integer({ min: 0, max: 400 }).map((n) => n / 8)),
});

interface Gen {
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

function simulate(t0: number, v0: number, ops: Op[]): Gen {
  const settings: CounterSettings = { ...BASE_SETTINGS, modulus: M, maxRatePerHour: 3600, noiseTolerance: 0.05, maxGapMs: 5 * 60_000, replacementStart: {} };
  const starts: Record<string, number> = {};
  let t = t0;
  let value = v0;
  let serial = 'S0';
  let truth = 0;
  let forceNormal = false;
  const out: Emitted[] = [{ sample: { ts: t, value, serial }, kind: 'first', inc: 0, noise: 0 }];
  const gaps: Array<[number, number]> = [];
  for (const [i, op] of [...ops, ...ops.slice(0, 2).map((o) => ({ ...o, kind: 'normal' as const }))].entries()) {
    let kind: OpKind = forceNormal ? 'normal' : op.kind;
    forceNormal = false;
    if ((kind === 'reset' || kind === 'zero') && !farFromModulus(value)) kind = 'normal';
    if (kind === 'spike' && value >= 8000) kind = 'normal';
    if (kind === 'spike' || kind === 'zero') {
      out.push({ sample: { ts: t + 500, value: kind === 'zero' ? 0 : value + 2000, serial }, kind: 'glitch', inc: 0, noise: 0 });
      t += 500;
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
    forceNormal = kind === 'reset' || kind === 'burst';
    out.push({ sample: { ts: t, value, serial }, kind, inc, noise: op.noise });
  }
  settings.replacementStart = starts;
  return { delivered: deliver(out, ops), truth, gaps, settings };
}

/** Applies noise where the rules allow it, then swaps neighbouring normal readings to make late arrivals. */
function deliver(out: Emitted[], ops: Op[]): CounterSample[] {
  const samples = out.map((e, i) => {
    const next = out.slice(i + 1).find((n) => n.kind !== 'glitch');
    const noisy =
      (e.kind === 'normal' || e.kind === 'gap') &&
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

describe('counter engine conservation property', () => {
  it('window deltas add up to the true consumption; no negative window; gap windows flagged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.oneof(fc.integer({ min: 0, max: M * 1000 - 1 }), fc.integer({ min: (M - 300) * 1000, max: M * 1000 - 1 })).map((n) => n / 1000),
        fc.array(opArb, { minLength: 1, maxLength: 250 }),
        (offset, v0, ops) => {
          const gen = simulate(Date.UTC(2026, 5, 1) + offset, v0, ops);
          for (const windowMs of [60_000, 900_000]) {
            const r = runSeries(gen.delivered, gen.settings, windowMs);
            let sum = 0;
            for (const acc of r.windows.values()) {
              expect(acc.delta).toBeGreaterThanOrEqual(0);
              sum += acc.delta;
            }
            expect(Math.abs(sum - gen.truth)).toBeLessThanOrEqual(1e-9 * Math.max(1, gen.truth));
            expect(r.state.pending).toBeNull();
            for (const [from, to] of gen.gaps) {
              for (let w = Math.floor(from / windowMs) * windowMs; w < to; w += windowMs) {
                expect(r.windows.get(w)?.flags).toContain('gap');
                expect(r.windows.get(w)?.estimated).toBe(true);
              }
            }
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });

  it('the property test can fail: dropping the rollover rule breaks conservation', () => {
    const gen = simulate(Date.UTC(2026, 5, 1), M - 5, [{ kind: 'normal', dtMs: 30_000, gapMs: 0, rate: 0.5, noise: 0, swap: false, start: null }]);
    const r = runSeries(gen.delivered, { ...gen.settings, modulus: null }, 60_000);
    const sum = [...r.windows.values()].reduce((a, w) => a + w.delta, 0);
    expect(Math.abs(sum - gen.truth)).toBeGreaterThan(1);
  });
});
