/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are inspected loosely */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { Dec, REFERENCE_KINDS, UNIT_CATALOGUE } from '@pcf-edge/pcf-engine';
import { referenceTemplate, TEMPLATE_DIR } from '../src/reference/formats';
import { importDirectory } from '../src/service/demo';
import { PcfService } from '../src/service/pcf-service';
import { READER, startApi, type RunningApi } from './api-helpers';
import { tempDb } from './helpers';

const DOC = readFileSync(resolve(__dirname, '../../docs/reference-data.md'), 'utf8');

describe('reference data templates and documentation', () => {
  it('every kind has a template, and the templates import as they are, one version per kind', async () => {
    const t = tempDb();
    try {
      const imported = await importDirectory(t.repo, TEMPLATE_DIR);
      expect(imported.map((r) => r.kind).sort()).toEqual([...REFERENCE_KINDS].sort());
      const { doc } = await new PcfService(t.repo).calculateProduct('bracket', {
        periodStart: '2026-11-02T00:00:00Z',
        periodEnd: '2026-11-03T00:00:00Z',
        method: 'market',
        gwpSet: 'AR6',
        shareKey: 'units',
        overheadKey: 'mass',
      });
      expect(doc.produced).toBe(true);
      expect(Number(doc.breakdownKgPerDeclaredUnit.materials)).toBeGreaterThan(0);
      // the worked example of docs/reference-data.md#biogenic-carbon: 50 g of cardboard per bracket
      expect(doc.biogenic).toMatchObject({
        carbonContentKgPerDeclaredUnit: '0.0205',
        source: 'bom',
        co2EmissionsKgPerDeclaredUnit: '0.004809375',
        co2RemovalsKgPerDeclaredUnit: '0.0761045625',
        pcfIncludingBiogenicPerDeclaredUnit: new Dec(doc.pcfPerDeclaredUnit).minus('0.0712951875').toString(),
      });
    } finally {
      await t.cleanup();
    }
  });

  it('docs/reference-data.md shows each template verbatim as its worked example', () => {
    for (const kind of REFERENCE_KINDS) expect(DOC).toContain(referenceTemplate(kind).text);
  });

  it('docs/reference-data.md lists every unit of the catalogue with its exact size', () => {
    for (const u of UNIT_CATALOGUE) {
      const row = DOC.split('\n').find((l) => l.startsWith(`| \`${u.symbol}\` `));
      expect(row).toBeDefined();
      expect(row!.split('|').map((c) => c.trim())).toContain(u.inBase);
    }
  });
});

describe('reference formats served by the API', () => {
  let api: RunningApi;
  let read: string;
  beforeAll(async () => {
    api = await startApi();
    read = await api.token(READER);
  }, 60_000);
  afterAll(async () => {
    await api.close();
  });
  const get = (path: string, token = read) =>
    fetch(`${api.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('serves the JSON Schema of each kind, which a standard validator compiles and applies', async () => {
    for (const kind of REFERENCE_KINDS) {
      const res = await get(`/api/reference/${kind}/schema`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/schema\+json/);
      const schema = (await res.json()) as Record<string, any>;
      expect(schema).toMatchObject({ $id: `urn:pcf-edge:reference:${kind}`, type: 'object' });
      const ajv = new Ajv({ strict: false, allowUnionTypes: true });
      addFormats(ajv);
      const validate = ajv.compile(schema);
      if (kind === 'supplier-pcfs') expect(validate(JSON.parse(referenceTemplate(kind).text)[0])).toBe(true);
    }
    const lines = new Ajv({ strict: false }).compile(
      (await (await get('/api/reference/lines/schema')).json()) as object,
    );
    expect(lines({ id: 'press-1', site: 'plant-us' })).toBe(true);
    expect(lines({ id: 'press-1' })).toBe(false);
  });

  it('serves each template as a download', async () => {
    const res = await get('/api/reference/factors/template');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="factors.csv"');
    expect(await res.text()).toBe(referenceTemplate('factors').text);
  });

  it('serves the unit catalogue; refuses unknown kinds and callers without a token', async () => {
    const units = (await (await get('/api/units')).json()) as Record<string, any>;
    expect(units.units).toContainEqual(expect.objectContaining({ symbol: 'gal', inBase: '0.003785411784' }));
    const unknown = await get('/api/reference/widgets/schema');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Record<string, any>).message).toMatch(/one of sites, lines, products/);
    // no token: 400 BadRequest, as PACT's conformance cases require of every route (ADR 0191)
    const anonymous = await get('/api/reference/sites/template', '');
    expect(anonymous.status).toBe(400);
    expect(((await anonymous.json()) as Record<string, any>).code).toBe('BadRequest');
  });
});
