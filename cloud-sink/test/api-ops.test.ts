/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are inspected loosely */
import { withReferenceCache } from '../src/api/reference-cache';
import { contentHash } from '../src/audit/hash';
import { auditInputs, PcfService } from '../src/service/pcf-service';
import { decodeRollups } from '../src/ingest/quantities';
import { demoRollups } from '../src/service/demo-rollups';
import { tempDb } from './helpers';
import { DEMO_PERIOD, READER, startApi, UPLOADER, type RunningApi } from './api-helpers';

describe('operational API', () => {
  let api: RunningApi;
  let read: string, upload: string;
  beforeAll(async () => {
    api = await startApi();
    read = await api.token(READER);
    upload = await api.token(UPLOADER);
  }, 60_000);
  afterAll(async () => {
    await api.close();
  });

  const call = async (method: string, path: string, token: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('uploads reference data as CSV or JSON through the CLI import validation', async () => {
    const csv = await call(
      'POST',
      '/api/reference/lines',
      upload,
      'id,site,name\nline-3,plant-1,Packing\n',
      'text/csv',
    );
    expect(csv).toMatchObject({ status: 201, body: { kind: 'lines', entities: 1, version: expect.any(Number) } });
    const json = await call(
      'POST',
      '/api/reference/lines',
      upload,
      JSON.stringify([{ id: 'line-4', site: 'plant-1' }]),
    );
    expect(json.status).toBe(201);
    const bad = await call('POST', '/api/reference/lines', upload, 'id,site\nline-5,no-such-site\n', 'text/csv');
    expect(bad).toMatchObject({
      status: 400,
      body: {
        code: 'ERR_REFERENCE_INVALID',
        details: { errors: [expect.objectContaining({ row: 1, column: 'site' })] },
      },
    });
    expect(await api.db.repo.getReference('lines', await api.db.repo.latestReferenceVersion())).toHaveLength(4);
  });

  it('computes an ad-hoc PCF with its audit tree, storing it only with the upload scope', async () => {
    const req = { product: 'widget', ...DEMO_PERIOD, method: 'market', gwpSet: 'AR5' };
    const dry = await call('POST', '/api/pcf', read, req);
    const expected = await new PcfService(api.db.repo).calculateProduct('widget', {
      ...DEMO_PERIOD,
      method: 'market',
      gwpSet: 'AR5',
      shareKey: 'units',
      overheadKey: 'units',
    });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      stored: false,
      result: { pcfPerDeclaredUnit: expected.doc.pcfPerDeclaredUnit, method: 'market', gwpSet: 'AR5' },
    });
    expect(dry.body.audit.derivation).toMatchObject({
      name: expect.any(String),
      value: expected.doc.pcfPerDeclaredUnit,
    });
    expect(Array.isArray(dry.body.audit.derivation.children) && dry.body.audit.derivation.children.length > 0).toBe(
      true,
    );
    // the inputs only when asked for (ADR 0251), as a fresh service hashes them
    expect(dry.body.audit.inputs).toBeUndefined();
    const full = await call('POST', '/api/pcf?audit=full', read, req);
    expect(full.status).toBe(200);
    expect(full.body.result).toEqual(dry.body.result);
    expect(full.body.audit.derivation).toEqual(dry.body.audit.derivation);
    expect(full.body.audit.inputs.rollups.length).toBeGreaterThan(0);
    expect(full.body.audit.inputs).toEqual(JSON.parse(JSON.stringify(auditInputs(expected.loaded, expected.calc))));
    expect(full.body.audit.inputs.entities.map((e: { hash: string }) => e.hash).sort()).toEqual(
      [...expected.calc.usedEntities().values()].map((e) => contentHash(e.data)).sort(),
    );
    expect((await call('POST', '/api/pcf?audit=inputs', read, req)).status).toBe(400);
    expect(await call('POST', '/api/pcf', read, { ...req, store: true })).toMatchObject({
      status: 403,
      body: { code: 'AccessDenied' },
    });
    const before = (await api.db.repo.listFootprintVersions()).length;
    const stored = await call('POST', '/api/pcf', upload, { ...req, store: true });
    expect(stored).toMatchObject({
      status: 200,
      body: { stored: true, resultId: expect.any(String), auditHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    // AR5 market-based is a major change for widget's period: old Active deprecated, new footprint published.
    expect((await api.db.repo.listFootprintVersions()).length).toBe(before + 2);
    const audit = await call('GET', `/api/results/${stored.body.resultId as string}/audit`, read);
    expect(audit).toMatchObject({
      status: 200,
      body: { hash: stored.body.auditHash, derivation: { value: expected.doc.pcfPerDeclaredUnit } },
    });
  });

  it("reports per-line energy over the orders' span and lists products, orders and results", async () => {
    const energy = await call('GET', '/api/energy', read);
    expect(energy.status).toBe(200);
    const l1 = (energy.body.lines as any[]).find((l) => l.line === 'line-1');
    expect(l1.windows).toHaveLength(16);
    expect(l1.totals).toMatchObject({
      electricityKWh: 160,
      gasKWh: 80,
      unitsGood: 320,
      kWhPerUnit: 0.75,
      coverage: 1,
      estimatedWindows: 0,
    });
    const narrow = await call('GET', '/api/energy?from=2026-11-02T06:00:00Z&to=2026-11-02T07:00:00Z&line=line-2', read);
    expect(narrow.body.lines).toEqual([
      expect.objectContaining({ line: 'line-2', totals: expect.objectContaining({ electricityKWh: 32 }) }),
    ]);
    expect((await call('GET', '/api/products', read)).body.products.map((p: { id: string }) => p.id).sort()).toEqual([
      'housing',
      'steel-sheet',
      'widget',
    ]);
    expect((await call('GET', '/api/orders', read)).body.orders.map((o: { id: string }) => o.id)).toEqual([
      'o-101',
      'o-201',
      'o-102',
      'o-202',
    ]);
    const results = (await call('GET', '/api/results', read)).body.results as any[];
    expect(results.length).toBeGreaterThanOrEqual(6);
    expect(results[0]).toMatchObject({
      product: expect.any(String),
      breakdownKg: expect.objectContaining({ materials: expect.any(String) }),
    });
  });

  it('lists results whose inputs have a newer revision, with the differences', async () => {
    expect((await call('GET', '/api/results/stale', read)).body).toEqual({ stale: [] });
    const w = demoRollups().find((r) => r.type === 'line' && r.line === 'line-2')!;
    await api.db.repo.ingest({
      rollups: decodeRollups([{ ...w, revision: 2, electricityKWh: w.electricityKWh + 4 }]),
      deadLetters: [],
    });
    const stale = (await call('GET', '/api/results/stale', read)).body.stale as any[];
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((x) => x.revised[0] === `${w.id}@1→2` && typeof x.deltaKgPerDeclaredUnit === 'string')).toBe(
      true,
    );
    expect(stale.some((x) => x.product === 'widget' && x.deltaKWh === '4')).toBe(true);
  });
});

describe('reference cache', () => {
  it('serves a new reference version as soon as it is imported', async () => {
    const t = tempDb();
    const repo = withReferenceCache(t.repo);
    const site = (region: string) => ({
      kind: 'sites' as const,
      source: 's',
      sha256: 'x',
      entities: [{ entityId: 's1', hash: region, data: { id: 's1', region } }],
    });
    const v1 = await repo.importReference(site('GB'));
    expect((await repo.getReference('sites', v1)).map((e) => e.hash)).toEqual(['GB']);
    expect((await repo.getReference('sites', v1 + 5)).map((e) => e.hash)).toEqual(['GB']);
    const v2 = await repo.importReference(site('FR'));
    expect((await repo.getReference('sites', v2)).map((e) => e.hash)).toEqual(['FR']);
    expect((await repo.getReference('sites', v1)).map((e) => e.hash)).toEqual(['GB']);
    await t.cleanup();
  });
});
