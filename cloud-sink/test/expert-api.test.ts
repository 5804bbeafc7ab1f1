import { parse as parseCsv } from 'csv-parse/sync';
import { resultsCsv } from '../src/api/csv-export';
import { decodeRollups } from '../src/ingest/quantities';
import { demoRollups } from '../src/service/demo-rollups';
import { ADMIN, PARTNER, READER, startApi, UPLOADER, type RunningApi } from './api-helpers';
import { PG_URL, pgSkipNotice } from './pg-support';

/**
 * The API routes behind the dashboard's workflows (issue 22): the validate-only preview of a reference file and its
 * apply, months, an ad-hoc calculation stored and published, CSV exports, grants — with their scopes and the precise
 * errors of bad input. Against SQLite and, with PCF_EDGE_TEST_DATABASE_URL, PostgreSQL.
 */
const stores: [string, string | undefined][] = [['SQLite', undefined]];
if (PG_URL) stores.push(['PostgreSQL', PG_URL]);
else pgSkipNotice('expert-api');

const FACTORS_HEADER = 'id,activity,region,unit,energyBasis,source,version,validFrom,validTo,CO2,CH4,N2O,CO2e';
const PAINT_34 = 'demo-paint,paint,GLO,kg,,"Revised paint factor, 2024",demo-2,2023-01-01,,,,,3.4';
const PAINT_AS_STORED =
  'demo-paint,paint,GLO,kg,,"Illustrative solvent-borne paint factor (demo data, not a published value)",demo-1,2023-01-01,,,,,3.2';
const SOLVENT = 'demo-solvent,solvent,GLO,l,,"Illustrative ""white spirit"" factor",demo-1,2023-01-01,,2.1,,,';

describe.each(stores)('dashboard workflow routes (%s)', (_name, pgUrl) => {
  let api: RunningApi;
  const tokens: Record<string, string> = {};
  const call = async (who: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${api.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(init.headers as Record<string, string>) },
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, text, body: type.includes('json') ? JSON.parse(text) : text };
  };
  const csvPost = (path: string, body: string, who = 'uploader') =>
    call(who, path, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
  const json = (who: string, path: string, method: string, body: unknown) =>
    call(who, path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    api = await startApi(pgUrl ? { pgUrl } : {});
    for (const [who, c] of Object.entries({ reader: READER, uploader: UPLOADER, partner: PARTNER, admin: ADMIN }))
      tokens[who] = await api.token(c);
  }, 120_000);
  afterAll(() => api?.close());

  it('previews a factor file: added, changed (with the fields), kept, and writes nothing', async () => {
    const before = await api.db.repo.latestReferenceVersion();
    const file = [FACTORS_HEADER, PAINT_34, SOLVENT].join('\n');
    const r = await csvPost('/api/reference/factors/preview', file);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      kind: 'factors',
      currentVersion: before,
      valid: true,
      added: [{ id: 'demo-solvent', rows: [2] }],
      unchanged: [],
      errors: [],
    });
    expect(r.body.changed).toEqual([
      {
        id: 'demo-paint',
        rows: [1],
        fields: [
          { column: 'components', before: { CO2e: '3.2' }, after: { CO2e: '3.4' } },
          {
            column: 'source',
            before: 'Illustrative solvent-borne paint factor (demo data, not a published value)',
            after: 'Revised paint factor, 2024',
          },
          { column: 'version', before: 'demo-1', after: 'demo-2' },
        ],
      },
    ]);
    expect(r.body.kept.map((k: { id: string }) => k.id)).toEqual([
      'demo-cardboard',
      'demo-green-tariff-2023',
      'demo-steel-coil',
      'desnz-2023-electricity-uk',
      'desnz-2023-natural-gas-gross-kwh',
    ]);
    expect(await api.db.repo.latestReferenceVersion()).toBe(before);
  });

  it('a row repeated as stored is unchanged', async () => {
    const r = await csvPost('/api/reference/factors/preview', [FACTORS_HEADER, PAINT_AS_STORED].join('\n'));
    expect(r.body).toMatchObject({ valid: true, added: [], changed: [], unchanged: [{ id: 'demo-paint', rows: [1] }] });
  });

  it('previews a bad file: every error with row, CSV column and reason, as the import refuses it', async () => {
    const bad = [
      FACTORS_HEADER,
      PAINT_34,
      SOLVENT.replace(',2.1,', ',"2,1",'),
      SOLVENT.replace('demo-solvent,solvent,GLO,l', 'demo-oil,oil,GLO,furlong'),
    ];
    const before = await api.db.repo.latestReferenceVersion();
    const p = await csvPost('/api/reference/factors/preview', bad.join('\n'));
    expect(p.status).toBe(200);
    expect(p.body.valid).toBe(false);
    expect(p.body.errors).toEqual([
      {
        row: 2,
        column: 'CO2',
        reason: 'not a decimal number: "2,1" (a decimal number, e.g. 12, 0.5, .5, -3 or 1.2e3)',
      },
    ]);
    // the unit is checked once the rows pass the schema: the preview then shows both the diff and the error
    const unit = await csvPost('/api/reference/factors/preview', [FACTORS_HEADER, PAINT_34, bad[3]].join('\n'));
    expect(unit.body.valid).toBe(false);
    expect(unit.body.errors).toEqual([
      { row: 2, column: 'unit', reason: expect.stringMatching(/^unknown unit 'furlong'; accepted/) },
    ]);
    expect(unit.body.changed.map((c: { id: string }) => c.id)).toEqual(['demo-paint']);
    const applied = await csvPost('/api/reference/factors', bad.join('\n'));
    expect(applied.status).toBe(400);
    expect(applied.body.code).toBe('ERR_REFERENCE_INVALID');
    expect(applied.body.details.errors).toEqual(p.body.errors);
    expect(await api.db.repo.latestReferenceVersion()).toBe(before);
  });

  it('a file that is not CSV at all, a missing column, a JSON file: the preview says so', async () => {
    const broken = await csvPost('/api/reference/factors/preview', 'id,unit\n"open,kg\n');
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({
      valid: false,
      errors: [{ row: 'file', reason: expect.stringMatching(/^not valid CSV/) }],
    });
    const header = await csvPost('/api/reference/sites/preview', 'id,name\nplant-9,Nine\n');
    expect(header.body.errors).toEqual([{ row: 'header', column: 'region', reason: 'missing column' }]);
    const j = await call('uploader', '/api/reference/sites/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 'plant-9', region: 'GB' }]),
    });
    expect(j.body).toMatchObject({ valid: true, added: [{ id: 'plant-9', rows: [1] }] });
  });

  it('bad input to the upload routes: unknown kind, empty body, wrong media type, missing scope', async () => {
    const unknown = await csvPost('/api/reference/fators/preview', 'id\nx\n');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe(
      "unknown reference kind 'fators' (one of sites, lines, products, boms, direct-emissions, factors, electricity, supplier-pcfs, orders, supply)",
    );
    for (const path of ['/api/reference/sites', '/api/reference/sites/preview']) {
      const empty = await csvPost(path, '  \n');
      expect(empty.status).toBe(400);
      expect(empty.body.message).toMatch(/^the body is empty: send the file as CSV/);
    }
    const xml = await call('uploader', '/api/reference/sites/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<x/>',
    });
    expect(xml.status).toBe(415);
    const reader = await csvPost('/api/reference/sites/preview', 'id,region\np,GB\n', 'reader');
    expect(reader.status).toBe(403);
    expect(reader.body.message).toBe("the access token lacks the 'ops:write' scope");
  });

  it('applies a previewed file: the version it names, and the next preview sees it as unchanged', async () => {
    const file = [FACTORS_HEADER, PAINT_34, SOLVENT].join('\n');
    const r = await csvPost('/api/reference/factors', file);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'factors', entities: 2 });
    expect(await api.db.repo.latestReferenceVersion()).toBe(r.body.version);
    const again = await csvPost('/api/reference/factors/preview', file);
    expect(again.body).toMatchObject({ currentVersion: r.body.version, added: [], changed: [] });
    expect(again.body.unchanged.map((u: { id: string }) => u.id)).toEqual(['demo-paint', 'demo-solvent']);
  });

  it('stores a month of a product and says which footprint it became; results and energy by month', async () => {
    const r = await json('uploader', '/api/pcf', 'POST', {
      product: 'housing',
      periodStart: '2026-11-01T00:00:00Z',
      periodEnd: '2026-12-01T00:00:00Z',
      store: true,
    });
    expect(r.status).toBe(200);
    expect(r.body.footprint).toEqual({ id: expect.any(String), version: 1, status: 'Active' });
    expect(r.body.footprints).toEqual([r.body.footprint]);
    const nov = await call('reader', '/api/results?month=2026-11');
    const mine = nov.body.results.find((x: { id: string }) => x.id === r.body.resultId);
    expect(mine).toMatchObject({
      product: 'housing',
      footprint: { id: r.body.footprint.id, version: 1, statusNow: 'Active' },
    });
    expect(nov.body.results).toHaveLength(7); // the six demo results of 2 November and this one
    expect((await call('reader', '/api/results?month=2026-10')).body.results).toEqual([]);
    const energy = await call('reader', '/api/energy?month=2026-11');
    expect(energy.body).toMatchObject({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    expect(energy.body.lines.map((l: { line: string }) => l.line)).toEqual(['line-1', 'line-2']);
  });

  it('bad month, unknown product, months with from/to: precise errors', async () => {
    for (const m of ['2026-13', '2026-1', 'November']) {
      const r = await call('reader', `/api/results?month=${m}`);
      expect(r.status).toBe(400);
      expect(r.body.message).toBe(`month must be a calendar month written YYYY-MM (e.g. 2026-11), got "${m}"`);
    }
    expect((await call('reader', '/api/export/energy.csv?month=2026-00')).status).toBe(400);
    const both = await call('reader', '/api/energy?month=2026-11&from=2026-11-02T00:00:00Z');
    expect(both.body.message).toBe('give either month or from/to, not both');
    const p = await json('reader', '/api/pcf', 'POST', {
      product: 'gadget',
      periodStart: '2026-11-01T00:00:00Z',
      periodEnd: '2026-12-01T00:00:00Z',
    });
    expect(p.status).toBe(404);
    expect(p.body.message).toMatch(/^product 'gadget' does not exist/);
  });

  it('exports results as RFC 4180 CSV with stale marks and footprints', async () => {
    const w = demoRollups().find((x) => x.type === 'line' && x.line === 'line-2')!;
    await api.db.repo.ingest({
      rollups: decodeRollups([{ ...w, revision: 2, electricityKWh: w.electricityKWh + 8 }]),
      deadLetters: [],
    });
    const r = await call('reader', '/api/export/results.csv?month=2026-11');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="pcf-results-2026-11.csv"');
    expect(r.text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(r.text, { columns: true }) as Record<string, string>[];
    const results = (await call('reader', '/api/results?month=2026-11')).body.results;
    expect(rows.map((x) => x.resultId)).toEqual(results.map((x: { id: string }) => x.id));
    const stale = (await call('reader', '/api/results/stale')).body.stale.map((s: { resultId: string }) => s.resultId);
    expect(stale.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.stale).toBe(String(stale.includes(row.resultId)));
    const first = results[0];
    expect(rows[0]).toMatchObject({
      product: first.product,
      pcfPerDeclaredUnit: first.pcfPerDeclaredUnit,
      footprintId: first.footprint.id,
      footprintVersion: String(first.footprint.version),
    });
    expect(r.text.split('\r\n')[0]).toMatch(
      /^resultId,product,periodStart,periodEnd,method,gwpSet,declaredUnit,pcfPerDeclaredUnit,/,
    );
  });

  it('exports line energy as CSV, the windows of /api/energy; quoting of names with commas', async () => {
    await csvPost('/api/reference/lines', 'id,site,name\nline-1,plant-1,"Press, ""big"" one"\n');
    const r = await call('reader', '/api/export/energy.csv?from=2026-11-02T06:00:00Z&to=2026-11-02T10:00:00Z');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="line-energy-2026-11-02-2026-11-02.csv"');
    expect(r.text).toContain('line-1,"Press, ""big"" one",plant-1,');
    const rows = parseCsv(r.text, { columns: true }) as Record<string, string>[];
    const energy = (await call('reader', '/api/energy?from=2026-11-02T06:00:00Z&to=2026-11-02T10:00:00Z')).body;
    const windows = energy.lines.flatMap((l: { line: string; windows: { start: string; electricityKWh: number }[] }) =>
      l.windows.map((w) => [l.line, w.start, String(w.electricityKWh)]),
    );
    expect(rows.map((x) => [x.line, x.windowStart, x.electricityKWh])).toEqual(windows);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]!.lineName).toBe('Press, "big" one');
  });

  it('scopes: exports need ops:read, grants need admin; a partner sees a footprint once granted', async () => {
    for (const path of ['/api/export/results.csv', '/api/export/energy.csv'])
      expect((await call('partner', path)).status).toBe(403);
    expect((await call('uploader', '/api/admin/grants')).status).toBe(403);
    const stored = await json('uploader', '/api/pcf', 'POST', {
      product: 'steel-sheet',
      periodStart: '2026-11-01T00:00:00Z',
      periodEnd: '2026-12-01T00:00:00Z',
      store: true,
    });
    const id = stored.body.footprint.id as string;
    const ids = async () => ((await call('partner', '/2/footprints')).body.data as { id: string }[]).map((f) => f.id);
    expect(await ids()).not.toContain(id);
    const grant = { clientId: PARTNER.id, kind: 'product', value: 'steel-sheet' };
    expect((await json('admin', '/api/admin/grants', 'POST', grant)).status).toBe(201);
    expect((await call('admin', `/api/admin/grants?clientId=${PARTNER.id}`)).body.grants).toContainEqual(
      expect.objectContaining(grant),
    );
    expect(await ids()).toContain(id);
    expect((await json('admin', '/api/admin/grants', 'DELETE', grant)).status).toBe(200);
    expect(await ids()).not.toContain(id);
  });
});

describe('results CSV', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180), CRLF line ends, empty for absent', () => {
    const result = {
      id: 'r1',
      product: 'a,b',
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
      method: 'location',
      gwpSet: 'AR6',
      createdAt: '2026-12-07T00:00:00.000Z',
      declaredUnit: 'piece',
      pcfPerDeclaredUnit: '1.000000000000000000001',
      pcfPerDeclaredUnitDisplay: '1.000000',
      goodUnits: '10',
      breakdownKg: { materials: '7', direct: '3' },
      energyKWh: { electricity: '2.5' },
      primaryDataShare: '50',
      orders: [],
      warnings: ['say "no"', 'two\nlines'],
      footprint: null,
    };
    const text = resultsCsv([result] as never, new Set(['r1']));
    expect(text).toBe(
      'resultId,product,periodStart,periodEnd,method,gwpSet,declaredUnit,pcfPerDeclaredUnit,goodUnits,' +
        'breakdownKg.direct,breakdownKg.materials,energyKWh.electricity,primaryDataShare,stale,footprintId,' +
        'footprintVersion,footprintStatus,createdAt,warnings\r\n' +
        'r1,"a,b",2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,location,AR6,piece,1.000000000000000000001,10,' +
        '3,7,2.5,50,true,,,,2026-12-07T00:00:00.000Z,"say ""no""; two\nlines"\r\n',
    );
  });
});
