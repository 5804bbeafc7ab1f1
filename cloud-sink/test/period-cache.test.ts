import type { CalcOptions } from '@pcf-edge/pcf-engine';
import { importDirectory } from '../src/service/demo';
import { demoRollups } from '../src/service/demo-rollups';
import { calculateProduct, precomputePeriod } from '../src/service/pcf-service';
import { lineRollup, tempDb, type TempDb } from './helpers';

describe('precomputed periods for ad-hoc calculations', () => {
  let t: TempDb;
  const options: CalcOptions = {
    periodStart: '2026-11-02T06:00:00Z',
    periodEnd: '2026-11-02T10:00:00Z',
    method: 'location',
    gwpSet: 'AR5',
    shareKey: 'units',
    overheadKey: 'mass',
  };
  beforeAll(async () => {
    t = tempDb();
    await importDirectory(t.repo);
    await t.repo.ingest({ rollups: demoRollups(), deadLetters: [] });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('keeps a fresh product calculation while its inputs are unchanged and recomputes after a revision', async () => {
    const opts = { ...options, gwpSet: 'AR4' as const };
    const [a, b] = await Promise.all([
      calculateProduct(t.repo, 'widget', opts),
      calculateProduct(t.repo, 'widget', opts),
    ]);
    expect(b.calc).toBe(a.calc);
    expect((await calculateProduct(t.repo, 'widget', opts)).calc).toBe(a.calc);
    expect((await calculateProduct(t.repo, 'housing', opts)).calc).not.toBe(a.calc);
    const { rollupFingerprint: _f, ...uncached } = t.repo;
    expect((await calculateProduct(uncached, 'widget', opts)).doc).toEqual(a.doc);
    const first = demoRollups().find((r) => r.type === 'line' && r.line === 'line-1')!;
    await t.repo.ingest({ rollups: [lineRollup('line-1', first.windowStart, 3, 7)], deadLetters: [] });
    const after = await calculateProduct(t.repo, 'widget', opts);
    expect(after.calc).not.toBe(a.calc);
    expect(after.doc).toEqual((await calculateProduct(uncached, 'widget', opts)).doc);
  });

  it('serves the same numbers from the precomputed period and recomputes once a rollup is revised', async () => {
    const fresh = await calculateProduct(t.repo, 'widget', options);
    const pre = await precomputePeriod(t.repo, options);
    expect(fresh.calc).not.toBe(pre);
    const cached = await calculateProduct(t.repo, 'widget', options);
    expect(cached.calc).toBe(pre);
    expect(cached.doc.pcfPerDeclaredUnit).toBe(fresh.doc.pcfPerDeclaredUnit);
    expect(cached.doc.orders).toEqual(fresh.doc.orders);
    expect((await calculateProduct(t.repo, 'widget', { ...options, gwpSet: 'AR6' })).calc).not.toBe(pre);

    const first = demoRollups().find((r) => r.type === 'line' && r.line === 'line-2')!;
    await t.repo.ingest({ rollups: [lineRollup('line-2', first.windowStart, 2, 9)], deadLetters: [] });
    const after = await calculateProduct(t.repo, 'widget', options);
    expect(after.calc).not.toBe(pre);
    expect(after.doc.pcfPerDeclaredUnit).not.toBe(fresh.doc.pcfPerDeclaredUnit);
  });
});
