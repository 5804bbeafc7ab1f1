import { decodeRollups } from '../src/ingest/quantities';
import { silentLogger } from '@pcf-edge/core';
import { Dec, present } from '@pcf-edge/pcf-engine';
import type { CalcOptions } from '@pcf-edge/pcf-engine';
import { FilterError, matchesFilter, parseFilter } from '../src/pact/filter';
import { createFootprintPublisher } from '../src/pact/publish';
import { publishedAnnouncer } from '../src/pact/published-events';
import { pactSchemaErrors } from '../src/pact/schema';
import type { ProductFootprint } from '../src/pact/types';
import { importDirectory } from '../src/service/demo';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import { tempDb, type TempDb } from './helpers';

const company = {
  companyName: 'Demo Co',
  companyIds: ['urn:pcf-edge:demo:company:demo-co'],
  productCategoryCpc: { widget: '4321' },
  defaultProductCategoryCpc: '4100',
};
const opts: CalcOptions = {
  periodStart: '2026-11-02T06:00:00.000Z',
  periodEnd: '2026-11-02T10:00:00.000Z',
  method: 'location',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
};

describe('PACT mapping and lifecycle', () => {
  let t: TempDb;
  let clock = Date.parse('2026-11-03T00:00:00Z');
  beforeAll(async () => {
    t = tempDb();
    await importDirectory(t.repo);
    await t.repo.ingest({ rollups: decodeRollups(demoRollups()), deadLetters: [] });
  });
  afterAll(async () => {
    await t.cleanup();
  });
  const publisher = () =>
    createFootprintPublisher({
      repo: t.repo,
      company,
      log: silentLogger(),
      now: () => (clock += 1000),
      announce: publishedAnnouncer(t.repo, { baseUrl: '' }),
    });

  it('publishes schema-valid footprints with derived fields; a piece product is declared per kilogram', async () => {
    const { doc } = await new PcfService(t.repo).calculateAndStore('widget', opts);
    await new PcfService(t.repo).calculateAndStore('steel-sheet', opts);
    await new PcfService(t.repo).calculateAndStore('widget', { ...opts, gwpSet: 'AR4' });
    const report = await publisher().sync();
    expect(report.published).toHaveLength(2);
    expect(report.skipped.map((s) => s.reason)).toEqual([expect.stringContaining('AR5 or AR6')]);
    for (const f of report.published) expect(pactSchemaErrors(f.doc)).toEqual([]);
    const widget = report.published.find((f) => f.productId === 'widget')!.doc as ProductFootprint;
    expect(widget.pcf).toMatchObject({
      declaredUnit: 'kilogram',
      unitaryProductAmount: '3.2',
      geographyCountry: 'GB',
      characterizationFactors: 'AR6',
      ipccCharacterizationFactorsSources: ['AR6'],
      referencePeriodStart: opts.periodStart,
      referencePeriodEnd: opts.periodEnd,
      pCfExcludingBiogenic: present(new Dec(doc.pcfPerDeclaredUnit).div('3.2'), 6),
    });
    expect(widget.pcf.dqi).toMatchObject({ coveragePercent: 100, completenessDQR: 1, reliabilityDQR: 1 });
    expect(widget).toMatchObject({
      version: 1,
      status: 'Active',
      productCategoryCpc: '4321',
      productIds: ['urn:pcf-edge:demo:product:widget'],
    });
    expect(pactSchemaErrors({ ...widget, pcf: { ...widget.pcf, pCfExcludingBiogenic: 1.5 } })).toEqual([
      '/pcf/pCfExcludingBiogenic: must be string',
    ]);
  });

  it('a correction bumps the version of the same id; a method change deprecates it and starts a new id', async () => {
    const before = (await t.repo.listFootprints()).find((f) => f.productId === 'widget')!;
    await new PcfService(t.repo).calculateAndStore('widget', opts);
    await publisher().sync();
    const corrected = (await t.repo.getFootprint(before.id))!;
    expect(corrected).toMatchObject({ version: 2, status: 'Active' });
    expect(corrected.doc).toMatchObject({
      id: before.id,
      version: 2,
      created: (before.doc as ProductFootprint).created,
      updated: expect.any(String),
    });

    await new PcfService(t.repo).calculateAndStore('widget', { ...opts, method: 'market' });
    const report = await publisher().sync();
    expect(report.published.map((f) => [f.status, f.version])).toEqual([
      ['Deprecated', 3],
      ['Active', 1],
    ]);
    const successor = report.published[1]!;
    expect((successor.doc as ProductFootprint).precedingPfIds).toEqual([before.id]);
    expect((await t.repo.getFootprint(before.id))!.doc).toMatchObject({ status: 'Deprecated', version: 3 });
    for (const f of await t.repo.listFootprintVersions()) expect(pactSchemaErrors(f.doc)).toEqual([]);

    await new PcfService(t.repo).calculateAndStore('widget', opts);
    const again = await publisher().sync();
    expect(again.published.map((f) => [f.id, f.status])).toEqual([
      [successor.id, 'Deprecated'],
      [expect.any(String), 'Active'],
    ]);
    expect((await t.repo.getFootprint(before.id))!.version).toBe(3);
    expect((await publisher().sync()).published).toEqual([]);
  });
});

describe('$filter parser', () => {
  const f = {
    created: '2026-11-03T00:00:00.000Z',
    productCategoryCpc: '4321',
    productIds: ['urn:a', "urn:b'c"],
    pcf: {
      geographyCountry: 'GB',
      referencePeriodStart: '2026-11-02T06:00:00.000Z',
      referencePeriodEnd: '2026-11-02T10:00:00.000Z',
    },
  } as unknown as ProductFootprint;
  it.each([
    ["pcf/geographyCountry eq 'GB'", true],
    ["pcf/geographyCountry eq 'DE'", false],
    ["created ge '2026-11-01T00:00:00Z' and created lt 2026-11-04T00:00:00Z", true],
    ["created gt '2026-11-03T00:00:00Z'", false],
    ["pcf/referencePeriodStart ge '2026-11-02T00:00:00Z' and pcf/referencePeriodEnd le '2026-11-03T00:00:00Z'", true],
    ["productIds/any(productId:(productId eq 'urn:b''c'))", true],
    ["productIds/any(p: p eq 'urn:z')", false],
    ["productCategoryCpc eq '4321' and productIds/any(p:p eq 'urn:a')", true],
    ["updated ge '2026-01-01T00:00:00Z'", false],
  ])('%s ⇒ %s', (text, expected) => {
    expect(matchesFilter(f, parseFilter(text))).toBe(expected);
  });

  it.each([
    ["companyName eq 'x'", 'unsupported property'],
    ["created ne '2026-01-01T00:00:00Z'", 'unsupported operator'],
    ["pcf/geographyCountry eq 'GB' or created gt '2026-01-01T00:00:00Z'", "expected 'and'"],
    ["pcf/geographyCountry eq 'GB", 'unterminated string'],
    ['pcf/geographyCountry eq GB', 'expected a quoted string'],
    ["created ge 'yesterday'", 'not an ISO-8601'],
    ["pcf/geographyCountry eq 'GB'; DROP TABLE footprints", 'unexpected character'],
    ["productIds/any(p: q eq 'x')", "expected variable 'p'"],
    ['', 'expected a property'],
    ['pcf/geographyCountry eq', 'expected a value'],
  ])('rejects %j (%s)', (text, message) => {
    expect(() => parseFilter(text)).toThrow(FilterError);
    expect(() => parseFilter(text)).toThrow(message);
  });
});
