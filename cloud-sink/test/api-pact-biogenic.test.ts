import { silentLogger } from '@pcf-edge/core';
import { Dec, present, type CalcOptions } from '@pcf-edge/pcf-engine';
import { verifyAudit } from '../src/audit/verify';
import { decodeRollups } from '../src/ingest/quantities';
import { buildFootprintV3, v3UnavailableReason } from '../src/pact/footprint-v3';
import { loadResultContext } from '../src/pact/inputs';
import { createFootprintPublisher } from '../src/pact/publish';
import { publishedAnnouncer } from '../src/pact/published-events';
import { pactSchemaErrors } from '../src/pact/schema';
import type { ProductFootprint } from '../src/pact/types';
import { importReferenceFile } from '../src/reference/import';
import { importDirectory } from '../src/service/demo';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import type { StoredFootprint } from '../src/store/repository';
import { tempDb, type TempDb } from './helpers';
import { openApiSchemaProblems } from './pact-openapi';

/**
 * The PACT biogenic fields come from the computed values (ADR 0247), on the demo widget: 1 housing (product data:
 * 0 kg C), 1.2 kg of the supplier's motor (its PACT document: 0 kg C) and 400 g of cardboard at 410 kg C per tonne.
 */
const company = {
  companyName: 'Demo Co',
  companyIds: ['urn:pcf-edge:demo:company:demo-co'],
  productCategoryCpc: { widget: '4321' },
  defaultProductCategoryCpc: '4100',
};
const options: CalcOptions = {
  periodStart: '2026-11-02T06:00:00.000Z',
  periodEnd: '2026-11-02T10:00:00.000Z',
  method: 'location',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
};
const d = (v: string | number) => new Dec(v);
/** The demo cardboard factor with other biogenic columns. */
const cardboard = (biogenic: Record<string, unknown>) =>
  JSON.stringify([
    {
      id: 'demo-cardboard',
      activity: 'cardboard',
      region: 'GLO',
      unit: 't',
      energyBasis: null,
      components: { CO2e: '800' },
      source: 'Illustrative corrugated board factor (demo data, not a published value)',
      version: 'demo-1',
      validFrom: '2023-01-01',
      validTo: null,
      ...biogenic,
    },
  ]);

describe('PACT biogenic fields from the bill of materials', () => {
  let t: TempDb;
  let clock = Date.parse('2026-11-03T00:00:00Z');
  let n = 0;
  beforeAll(async () => {
    t = tempDb();
    await importDirectory(t.repo);
    await t.repo.ingest({ rollups: decodeRollups(demoRollups()), deadLetters: [] });
  });
  afterAll(async () => {
    await t.cleanup();
  });
  /** Computes and stores the widget, publishes it, and returns the result with its v2 and v3 footprints. */
  async function publishWidget() {
    const { doc } = await new PcfService(t.repo).calculateAndStore('widget', options);
    const report = await createFootprintPublisher({
      repo: t.repo,
      company,
      log: silentLogger(),
      now: () => (clock += 1000),
      announce: publishedAnnouncer(t.repo, { baseUrl: '' }),
    }).sync();
    const stored = report.published.find((f) => f.productId === 'widget' && f.status === 'Active') as StoredFootprint;
    const v2 = stored.doc as ProductFootprint;
    expect(pactSchemaErrors(v2)).toEqual([]);
    const ctx = (await loadResultContext(t.repo, (await t.repo.getResult(stored.resultId))!))!;
    expect(v3UnavailableReason(ctx)).toBeUndefined();
    const v3 = buildFootprintV3(stored, ctx);
    expect(openApiSchemaProblems(3, 'ProductFootprint', v3)).toEqual([]);
    return { doc, v2, v3 };
  }
  const setCardboard = (biogenic: Record<string, unknown>) =>
    importReferenceFile(t.repo, 'factors', t.write(`factors-${n++}.json`, cardboard(biogenic)));

  it("the demo widget's footprint declares the cardboard's biogenic carbon (v2 per kg, v3 per piece)", async () => {
    const { doc, v2, v3 } = await publishWidget();
    // 400 g = 0.0004 t × 410 kg C/t = 0.164 kg C per widget; the housing's product data and the motor's PACT say 0
    expect(doc.biogenic).toMatchObject({
      carbonContentKgPerDeclaredUnit: '0.164',
      source: 'bom',
      missing: [],
      warnings: [],
    });
    expect(doc.biogenic).not.toHaveProperty('pcfIncludingBiogenicPerDeclaredUnit'); // the cardboard gives no flows
    expect(v2.pcf.biogenicCarbonContent).toBe('0.05125'); // per kilogram of a 3.2 kg widget
    expect(v2.pcf).not.toHaveProperty('pCfIncludingBiogenic');
    expect(v2.comment).not.toContain('Biogenic');
    const pcf = d(doc.pcfPerDeclaredUnit);
    const uptake = d('0.164').times(44).div(12).neg(); // −0.6013… kg CO2 per widget
    expect(v3.pcf).toMatchObject({
      biogenicCarbonContent: '0.164',
      biogenicCO2Uptake: '-0.601333',
      pcfExcludingBiogenicUptake: present(pcf, 6),
      pcfIncludingBiogenicUptake: present(pcf.plus(uptake), 6),
    });
  });

  it('with biogenic emissions and removals, pCfIncludingBiogenic = excluding + emissions − removals', async () => {
    await setCardboard({
      biogenic: true,
      biogenicCarbonContent: '410',
      biogenicCO2Emissions: '95',
      biogenicCO2Removals: '1503.3',
    });
    const { doc, v2, v3 } = await publishWidget();
    // per good widget: 0.0004 t per unit × (50 + 1 + 45 made) ÷ 95 good, as the materials' emissions count scrap
    const e = d('0.0004').times(95).times(96).div(95);
    const r = d('0.0004').times('1503.3').times(96).div(95);
    expect(doc.biogenic).toMatchObject({
      carbonContentKgPerDeclaredUnit: '0.164',
      co2EmissionsKgPerDeclaredUnit: e.toString(),
      co2RemovalsKgPerDeclaredUnit: r.toString(),
    });
    expect(e.toString()).toBe('0.0384'); // the method document's worked example
    expect(r.toString()).toMatch(/^0\.6076496842/);
    const including = d(doc.pcfPerDeclaredUnit).plus(e).minus(r);
    expect(doc.biogenic!.pcfIncludingBiogenicPerDeclaredUnit).toBe(including.toString());
    expect(v2.pcf).toMatchObject({
      biogenicCarbonContent: '0.05125',
      pCfIncludingBiogenic: present(including.div('3.2'), 6),
      pCfExcludingBiogenic: present(d(doc.pcfPerDeclaredUnit).div('3.2'), 6),
    });
    expect(v3.pcf).toMatchObject({ biogenicCarbonContent: '0.164', biogenicCO2Uptake: '-0.601333' });
  });

  it('a biogenic material without a content is a warning on the result and in the comment, not a silent zero', async () => {
    await setCardboard({ biogenic: true });
    const { doc, v2, v3 } = await publishWidget();
    const warning =
      'widget: material cardboard (factor demo-cardboard) is biogenic but gives no biogenic carbon content; the biogenic carbon content 0 kg C per piece counts only the other components';
    expect(doc.warnings).toContain(warning);
    expect(doc.biogenic).toMatchObject({
      missing: ['material cardboard (factor demo-cardboard)'],
      warnings: [warning],
    });
    expect(v2.comment).toContain(`Biogenic carbon: ${warning}.`);
    expect(v3.comment).toContain(warning);
    expect(v2.pcf.biogenicCarbonContent).toBe('0');
  });

  it('with neither BOM data nor product data there is no value: the footprint is not published, saying why', async () => {
    const sheet = {
      id: 'steel-sheet',
      name: 'Pressed steel sheet',
      declaredUnit: 'kg',
      unitaryProductAmount: '1',
      massKgPerDeclaredUnit: '1',
      economicValuePerDeclaredUnit: '1.5',
      fossilCarbonContentKgPerDeclaredUnit: '0.0018',
      productIds: ['urn:pcf-edge:demo:product:steel-sheet'],
    };
    await importReferenceFile(t.repo, 'products', t.write(`products-${n++}.json`, JSON.stringify([sheet])));
    const { doc } = await new PcfService(t.repo).calculateAndStore('steel-sheet', options);
    expect(doc.biogenic).toMatchObject({ carbonContentKgPerDeclaredUnit: null, source: 'none', warnings: [] });
    const report = await createFootprintPublisher({
      repo: t.repo,
      company,
      log: silentLogger(),
      announce: publishedAnnouncer(t.repo, { baseUrl: '' }),
    }).sync();
    expect(report.published).toEqual([]);
    expect(report.skipped.map((x) => x.reason)).toEqual([
      'PACT requires the biogenic carbon content: give biogenicCarbonContent in the factors of the biogenic materials, or declare biogenicCarbonContentKgPerDeclaredUnit in the product data',
    ]);
  });

  it('every record made on the way still verifies', async () => {
    const report = await verifyAudit(t.repo);
    expect(report.records.filter((x) => !x.ok)).toEqual([]);
    expect(report.records.length).toBe(4);
  });
});
