import { decodeRollups } from '../src/ingest/quantities';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import { importReferenceFile } from '../src/reference/import';
import { DEMO_MORNING, lineRollup, loadDemo, tempDb, type TempDb } from './helpers';

describe('precomputed periods for ad-hoc calculations', () => {
  let t: TempDb;
  const options = DEMO_MORNING;
  let pcf: PcfService, uncachedPcf: PcfService;
  beforeAll(async () => {
    t = tempDb();
    pcf = new PcfService(t.repo);
    const { rollupFingerprint: _f, ...uncached } = t.repo;
    uncachedPcf = new PcfService(uncached);
    await loadDemo(t.repo);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('keeps a fresh product calculation while its inputs are unchanged and recomputes after a revision', async () => {
    const opts = { ...options, gwpSet: 'AR4' as const };
    const [a, b] = await Promise.all([pcf.calculateProduct('widget', opts), pcf.calculateProduct('widget', opts)]);
    expect(b.calc).toBe(a.calc);
    expect((await pcf.calculateProduct('widget', opts)).calc).toBe(a.calc);
    expect((await pcf.calculateProduct('housing', opts)).calc).not.toBe(a.calc);
    expect((await uncachedPcf.calculateProduct('widget', opts)).doc).toEqual(a.doc);
    const first = demoRollups().find((r) => r.type === 'line' && r.line === 'line-1')!;
    await t.repo.ingest({ rollups: decodeRollups([lineRollup('line-1', first.windowStart, 3, 7)]), deadLetters: [] });
    const after = await pcf.calculateProduct('widget', opts);
    expect(after.calc).not.toBe(a.calc);
    expect(after.doc).toEqual((await uncachedPcf.calculateProduct('widget', opts)).doc);
  });

  it('serves the same numbers from the precomputed period and recomputes once a rollup is revised', async () => {
    const fresh = await pcf.calculateProduct('widget', options);
    const pre = await pcf.precomputePeriod(options);
    expect(fresh.calc).not.toBe(pre);
    const cached = await pcf.calculateProduct('widget', options);
    expect(cached.calc).toBe(pre);
    expect(cached.doc.pcfPerDeclaredUnit).toBe(fresh.doc.pcfPerDeclaredUnit);
    expect(cached.doc.orders).toEqual(fresh.doc.orders);
    expect((await pcf.calculateProduct('widget', { ...options, gwpSet: 'AR6' })).calc).not.toBe(pre);

    const first = demoRollups().find((r) => r.type === 'line' && r.line === 'line-2')!;
    await t.repo.ingest({ rollups: decodeRollups([lineRollup('line-2', first.windowStart, 2, 9)]), deadLetters: [] });
    const after = await pcf.calculateProduct('widget', options);
    expect(after.calc).not.toBe(pre);
    expect(after.doc.pcfPerDeclaredUnit).not.toBe(fresh.doc.pcfPerDeclaredUnit);
  });
});

describe('PcfService caches', () => {
  let t: TempDb;
  beforeEach(async () => {
    t = tempDb();
    await loadDemo(t.repo);
  });
  afterEach(async () => {
    await t.cleanup();
  });
  const options = DEMO_MORNING;

  it('keeps a reference version once, uses a new import at once, and forgets everything on clear()', async () => {
    const pcf = new PcfService(t.repo);
    const v = await t.repo.latestReferenceVersion();
    expect(await pcf.reference()).toBe(await pcf.reference(v));
    const before = await pcf.calculateProduct('steel-sheet', options);
    expect((await pcf.calculateProduct('steel-sheet', options)).calc).toBe(before.calc);
    // a new reference version (another site): the next calculation reads it, same numbers
    const sites = t.write('s.csv', 'id,name,region,country\nplant-9,Plant 9,GB,GB\n');
    await importReferenceFile(t.repo, 'sites', sites);
    const after = await pcf.calculateProduct('steel-sheet', options);
    expect((await pcf.reference()).snapshot.asOfVersion).toBe(await t.repo.latestReferenceVersion());
    expect(after.calc).not.toBe(before.calc);
    expect(after.doc).toEqual(before.doc);
    const kept = await pcf.reference();
    pcf.clear();
    expect(await pcf.reference()).not.toBe(kept);
    expect((await pcf.calculateProduct('steel-sheet', options)).calc).not.toBe(after.calc);
  });
});
