import {
  makeRollupBatch,
  ManualClock,
  silentLogger,
  validateRollupBatch,
  type LineRollup,
  type MeterCounterRollup,
  type Reading,
  type Rollup,
  type SiteRollup,
} from '@pcf-edge/core';
import { openStore, type GatewayStore } from '@pcf-edge/store';
import { createLineAggregator, validateAggregatorConfig, type AggregatorConfig } from '../src';
import { DEMO_CONFIG, demoReadings, demoStep, GAS_CV, T0, tempDir, VCF } from './fixtures';

const MIN = 60_000;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

let n = 0;
function setup(over: Partial<AggregatorConfig> = {}): {
  store: GatewayStore;
  run: () => number;
  config: Readonly<AggregatorConfig>;
} {
  const store = openStore(tmp.file(`agg-${++n}.db`));
  const config = validateAggregatorConfig({ ...DEMO_CONFIG, ...over });
  const agg = createLineAggregator(config, { store, clock: new ManualClock(T0 + 3_600_000), log: silentLogger() });
  return { store, run: () => agg.drain(), config };
}

const rollupsOf = <T extends Rollup>(store: GatewayStore, type: T['type'], windowMs = MIN, line?: string): T[] =>
  store.listRollups({ type, windowMs, ...(line ? { line } : {}) }).map((s) => s.rollup as T);

const gasKWh = (m3: number): number => (m3 * VCF * GAS_CV) / 3.6;

describe('line aggregator', () => {
  let store: GatewayStore;
  afterEach(() => store?.close());

  it('writes closed windows with line totals that count line-total meters only', () => {
    const s = setup();
    store = s.store;
    store.insertReadings(demoReadings(121)); // 08:00:00 … 08:20:00
    expect(s.run()).toBe(121 * 8);
    const lines = rollupsOf<LineRollup>(store, 'line', MIN, 'line-1');
    expect(lines.map((l) => l.windowStart)).toEqual(
      Array.from({ length: 19 }, (_, i) => new Date(T0 + i * MIN).toISOString()),
    );
    for (const l of lines) {
      expect(l).toMatchObject({
        revision: 1,
        electricityKWh: 1.5,
        gasM3: 3,
        gasCvBasis: 'gross',
        unitsGood: 6,
        unitsScrap: 1,
        coverage: 1,
        estimated: false,
        meters: ['g1', 'm1', 'p1'],
      });
      expect(l.gasKWh).toBeCloseTo(gasKWh(3), 12);
      expect(l.kWhPerUnit).toBeCloseTo((1.5 + gasKWh(3)) / 6, 12);
    }
    const site = rollupsOf<SiteRollup>(store, 'site', 15 * MIN);
    expect(site).toHaveLength(1);
    expect(site[0]).toMatchObject({
      electricityKWh: 15 * (1.5 + 3 + 0.75),
      baseloadKWh: 15 * 0.75,
      gasM3: 45,
      unitsGood: 90,
      unitsScrap: 15,
      lines: ['line-1', 'line-2'],
    });
    const gas = rollupsOf<MeterCounterRollup>(store, 'meterCounter').filter((r) => r.meterId === 'g1');
    expect(gas.find((r) => r.flags.includes('rollover'))?.methods).toContain('rollover');
    expect(gas[0]!.gas).toEqual({
      m3: 3,
      kWh: gasKWh(3),
      cvMJPerM3: GAS_CV,
      cvBasis: 'gross',
      volumeCorrectionFactor: VCF,
    });
    const power = store.listRollups({ type: 'meterGauge', windowMs: MIN }).map((x) => x.rollup);
    expect(power[1]).toMatchObject({ min: 90, max: 92, readingCount: 6, coverage: 1 });
  });

  it('two aggregators on one store never book a reading twice: the later commit of the same cursor is rolled back', () => {
    const single = setup({ batchSize: 50 });
    store = single.store;
    store.insertReadings(demoReadings(121));
    single.run();
    const expected = store.listRollups({}).map((x) => x.rollup);
    const expectedOutbox = store.outboxStats(T0).depth;
    store.close();

    const shared = openStore(tmp.file(`agg-${++n}.db`));
    store = shared;
    const config = validateAggregatorConfig({ ...DEMO_CONFIG, batchSize: 50 });
    const make = () =>
      createLineAggregator(config, { store: shared, clock: new ManualClock(T0 + 3_600_000), log: silentLogger() });
    const [a, b] = [make(), make()]; // both load the same (empty) committed state
    shared.insertReadings(demoReadings(121));
    expect(a.runBatch()).toBe(50);
    expect(() => b.runBatch()).toThrow(expect.objectContaining({ code: 'ERR_STORE_CONFLICT' }) as Error);
    for (let turn = 0; turn < 100; turn++) {
      // interleaved, each retrying from the committed state after a conflict
      const ran = [a, b].map((agg) => {
        try {
          return agg.runBatch();
        } catch {
          return -1;
        }
      });
      if (ran.every((x) => x === 0)) break;
    }
    expect(a.progress().cursor).toBe(121 * 8);
    expect(shared.listRollups({}).map((x) => x.rollup)).toEqual(expected);
    expect(shared.outboxStats(T0).depth).toBe(expectedOutbox);
  });

  it('writes only rollups that validate as a rollup batch, each queued once per revision', () => {
    const s = setup();
    store = s.store;
    store.insertReadings(demoReadings(121));
    s.run();
    const all = store.listRollups({}).map((x) => x.rollup);
    expect(all.length).toBeGreaterThan(100);
    expect(() => validateRollupBatch(makeRollupBatch('gw-test', 'plant-1', all, new Date(T0)))).not.toThrow();
    expect(store.outboxStats(T0).depth).toBe(all.length);
  });

  it('revises a written window when late readings arrive: same id, revision + 1, queued again', () => {
    const s = setup();
    store = s.store;
    const late: Reading[] = [];
    for (let k = 0; k < 61; k++) {
      const step = demoStep(k);
      const held = k >= 30 && k <= 39 ? step.filter((r) => r.meterId === 'm3') : [];
      late.push(...held.map((r) => ({ ...r, readTs: T0 + 39 * 10_000 })));
      store.insertReadings(step.filter((r) => !held.includes(r)));
      if (k === 39) {
        s.run(); // 08:04 is written now, without m3's last 10 s
        store.insertReadings(late);
      }
    }
    s.run();
    const line2 = rollupsOf<LineRollup>(store, 'line', MIN, 'line-2');
    expect(line2.map((l) => l.electricityKWh)).toEqual(Array(9).fill(3));
    // 08:04 was written without its last 10 s (coverage 50/60), then revised by the late 08:05:00 reading.
    const w4 = line2[4]!;
    expect(w4).toMatchObject({ revision: 2, coverage: 1 });
    expect(w4.flags).toContain('late');
    const queued = store.pendingOutbox(10_000).filter((o) => o.rollupId === w4.id);
    expect(queued.map((o) => o.revision)).toEqual([1, 2]);
    // 08:05 had no line-2 data when it was written: the first late reading creates it (revision 1), each of
    // the 6 that follow changes it once more — revisions count readings, so they do not depend on batching.
    expect(line2[5]).toMatchObject({ revision: 7, coverage: 1 });
    expect(line2[5]!.flags).toContain('late');
  });

  it('spreads a meter gap over the windows it spans, flags them estimated, and conserves the total', () => {
    const s = setup();
    store = s.store;
    const readings = demoReadings(121).filter(
      (r) => !(r.meterId === 'm3' && r.sourceTs! > T0 + 4 * MIN && r.sourceTs! < T0 + 9 * MIN + 30_000),
    );
    store.insertReadings(readings);
    s.run();
    const line2 = rollupsOf<LineRollup>(store, 'line', MIN, 'line-2');
    expect(line2.reduce((a, l) => a + l.electricityKWh, 0)).toBe(19 * 3);
    const meter = rollupsOf<MeterCounterRollup>(store, 'meterCounter', MIN, 'line-2');
    for (const r of meter.slice(4, 10)) {
      expect(r.estimated).toBe(true);
      expect(r.flags).toContain('gap');
      expect(r.methods).toContain('gapSpread');
    }
    expect(meter[3]!.estimated).toBe(false);
    expect(store.listCounterEvents(0).map((e) => e.kind)).toEqual(['rollover', 'gap']);
  });

  it('prunes readings only once they are aggregated and exported', () => {
    const s = setup({ retention: { readingsMaxAgeMs: 60_000, pruneIntervalMs: 1000 } } as Partial<AggregatorConfig>);
    store = s.store;
    store.insertReadings(demoReadings(61));
    const agg = createLineAggregator(s.config, { store, clock: new ManualClock(T0 + 3_600_000), log: silentLogger() });
    agg.drain();
    expect(agg.prune().deletedReadings).toBe(0);
    const pending = store.pendingOutbox(100_000);
    store.markOutboxSent(
      pending.map((o) => o.seq),
      '1',
      T0 + 3_600_000,
    );
    expect(agg.prune().deletedReadings).toBeGreaterThan(0);
    expect(store.stats().readings).toBeLessThan(61 * 8);
  });

  it('rejects a bad config listing every problem', () => {
    const bad = {
      ...DEMO_CONFIG,
      windows: ['7m'],
      meters: [...DEMO_CONFIG.meters, DEMO_CONFIG.meters[0]],
      gas: {
        calorificValues: [
          { validFrom: '2026-01-01T00:00:00Z', mJPerM3: 39 },
          { validFrom: '2026-03-01T00:00:00Z', mJPerM3: 40 },
        ],
      },
    };
    expect(() => validateAggregatorConfig(bad)).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        details: expect.objectContaining({
          errors: [
            '/windows/0: 7m must be between 1s and 1d and divide one day',
            "/meters/6/id: duplicate meter 'm1'",
            '/gas/calorificValues/1: overlaps entry 0',
          ],
        }),
      }),
    );
  });
});
