/**
 * Differential property: the aggregator (store → compact rows → AggregationEngine with its per-reading fast path,
 * batches, revisions of written windows) books every window of a counter exactly as the pure counter engine plus
 * window allocation (engine-helpers runSeries) does, for generated series with rollovers, resets, replacements,
 * gaps, noise, glitches, bursts and late arrivals, interleaved with another meter and with bad readings.
 */
import fc from 'fast-check';
import { ManualClock, silentLogger, type MeterCounterRollup, type Reading } from '@pcf-edge/core';
import { openStore } from '@pcf-edge/store';
import { createLineAggregator, validateAggregatorConfig } from '../src';
import { emptyCounterAcc } from '../src/counter/allocate';
import { M, opArb, simulate } from './counter-series';
import { runSeries } from './engine-helpers';
import { tempDir } from './fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const reading = (
  meterId: string,
  ts: number,
  value: number | null,
  serial: string | null,
  quality: Reading['quality'] = 'good',
): Reading => {
  const r: Reading = {
    site: 'plant-1',
    line: 'line-1',
    meterId,
    point: 'energy',
    quantity: 'activeEnergyImport',
    kind: 'counter',
    value,
    unit: 'kWh',
    sourceTs: ts,
    readTs: ts,
    quality,
  };
  if (serial !== null) r.meterSerial = serial;
  return r;
};

const sorted = (xs: readonly string[], drop: readonly string[] = []): string[] =>
  xs.filter((x) => !drop.includes(x)).sort();

let n = 0;

describe('aggregator versus the pure counter engine', () => {
  it('books the same windows (delta, coverage, methods, flags, estimated) for generated series', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.integer({ min: 0, max: M * 1000 - 1 }).map((k) => k / 1000),
        fc.array(opArb, { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 4 }),
        (offset, v0, ops, batchSize, badEvery) => {
          const gen = simulate(Date.UTC(2026, 5, 1) + offset, v0, ops);
          const store = openStore(tmp.file(`diff-${++n}.db`));
          try {
            const readings: Reading[] = [];
            gen.delivered.forEach((s, i) => {
              readings.push(reading('m1', s.ts, s.value, s.serial));
              readings.push(reading('m2', s.ts, 100 + i, null)); // another point in the same batches
              if (badEvery > 0 && i % badEvery === 0) readings.push(reading('m1', s.ts + 1, null, null, 'bad'));
            });
            const last = Math.max(...gen.delivered.map((s) => s.ts));
            readings.push(reading('m2', last + 86_400_000, 1e6, null)); // reading time moves on: every window of m1 closes
            store.insertReadings(readings);
            const config = validateAggregatorConfig({
              site: 'plant-1',
              gatewayId: 'diff',
              batchSize,
              windows: ['1m', '15m'],
              plausibilityMargin: gen.settings.plausibilityMargin,
              noiseTolerance: gen.settings.noiseTolerance,
              noiseToleranceRelative: gen.settings.noiseToleranceRelative,
              maxGapMs: gen.settings.maxGapMs,
              meters: [
                {
                  id: 'm1',
                  line: 'line-1',
                  role: 'lineTotal',
                  points: {
                    energy: {
                      modulus: gen.settings.modulus,
                      maxRatePerHour: gen.settings.maxRatePerHour,
                      replacementStart: gen.settings.replacementStart,
                    },
                  },
                },
                { id: 'm2', line: 'line-1', role: 'subMeter', points: {} },
              ],
            });
            const agg = createLineAggregator(config, { store, clock: new ManualClock(last), log: silentLogger() });
            expect(agg.drain()).toBe(readings.length);
            for (const windowMs of [60_000, 900_000]) {
              const ref = runSeries(gen.delivered, gen.settings, windowMs).windows;
              const got = new Map(
                store
                  .listRollups({ type: 'meterCounter', windowMs })
                  .map((s) => s.rollup as MeterCounterRollup)
                  .filter((r) => r.meterId === 'm1')
                  .map((r) => [Date.parse(r.windowStart), r]),
              );
              for (const start of new Set([...ref.keys(), ...got.keys()])) {
                const want = ref.get(start) ?? emptyCounterAcc(start);
                const r = got.get(start);
                expect(r).toBeDefined();
                expect(Math.abs(r!.delta - want.delta)).toBeLessThanOrEqual(1e-9 * Math.max(1, want.delta));
                expect(r!.coverage).toBeCloseTo(Math.min(1, want.coveredMs / windowMs), 9);
                expect(sorted(r!.methods)).toEqual(sorted(want.methods));
                expect(sorted(r!.flags, ['late', 'bad'])).toEqual(sorted(want.flags));
                expect(r!.estimated).toBe(want.estimated);
              }
            }
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 40) },
    );
  });
});
