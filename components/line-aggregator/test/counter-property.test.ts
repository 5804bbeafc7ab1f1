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
import { runSeries } from './engine-helpers';
import { M, opArb, simulate } from './counter-series';

describe('counter engine conservation property', () => {
  it('window deltas add up to the true consumption; no negative window; gap windows flagged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 86_400_000 }),
        fc
          .oneof(fc.integer({ min: 0, max: M * 1000 - 1 }), fc.integer({ min: (M - 300) * 1000, max: M * 1000 - 1 }))
          .map((n) => n / 1000),
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
    const gen = simulate(Date.UTC(2026, 5, 1), M - 5, [
      { kind: 'normal', dtMs: 30_000, gapMs: 0, rate: 0.5, noise: 0, swap: false, start: null },
    ]);
    const r = runSeries(gen.delivered, { ...gen.settings, modulus: null }, 60_000);
    const sum = [...r.windows.values()].reduce((a, w) => a + w.delta, 0);
    expect(Math.abs(sum - gen.truth)).toBeGreaterThan(1);
  });
});
