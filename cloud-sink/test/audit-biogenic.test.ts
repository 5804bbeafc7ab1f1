import { randomUUID } from 'node:crypto';
import type { CalcOptions } from '@pcf-edge/pcf-engine';
import { canonicalJson, chainHash } from '../src/audit/hash';
import { verifyAudit } from '../src/audit/verify';
import { importReferenceFile } from '../src/reference/import';
import { auditBody, documentHashes } from '../src/service/audit-body';
import { PcfService } from '../src/service/pcf-service';
import type { ProductResultDoc } from '../src/service/result-doc';
import { loadDemo, tempDb, type TempDb } from './helpers';

/**
 * Records written before results carried `biogenic` (ADR 0247) assert neither that field nor its warnings; they
 * still verify, while every other part of them is still held to the replay.
 */
const options: CalcOptions = {
  periodStart: '2026-11-02T06:00:00.000Z',
  periodEnd: '2026-11-02T10:00:00.000Z',
  method: 'location',
  gwpSet: 'AR5',
  shareKey: 'units',
  overheadKey: 'mass',
};

describe('audit records made before biogenic carbon', () => {
  let t: TempDb;
  beforeEach(async () => {
    t = tempDb();
    await loadDemo(t.repo);
    // the cardboard marked biogenic without a content: today's result has a biogenic warning
    const factors = JSON.stringify([
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
        biogenic: true,
      },
    ]);
    await importReferenceFile(t.repo, 'factors', t.write('factors.json', factors));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** Stores the widget's record as it would have been written before ADR 0247, after `edit`. */
  async function appendOldStyle(edit: (result: ProductResultDoc) => void) {
    const { calc, loaded } = await new PcfService(t.repo).calculateProduct('widget', options, undefined, 'audit');
    const id = randomUUID();
    const body = auditBody(id, loaded, calc, 'widget', await documentHashes(t.repo, loaded));
    const biogenicWarnings = new Set(body.result.biogenic!.warnings);
    expect(biogenicWarnings.size).toBe(1);
    body.result.warnings = body.result.warnings.filter((w) => !biogenicWarnings.has(w));
    delete body.result.biogenic;
    edit(body.result);
    await t.repo.appendResult(
      {
        id,
        kind: 'product',
        subject: 'widget',
        periodStart: options.periodStart,
        periodEnd: options.periodEnd,
        method: options.method,
        gwpSet: options.gwpSet,
        result: body.result,
        createdAtMs: Date.now(),
      },
      canonicalJson(body),
      chainHash,
    );
  }

  it('a record without the field and its warnings verifies; a new one beside it too', async () => {
    await appendOldStyle(() => {});
    await new PcfService(t.repo).calculateAndStore('widget', options);
    const report = await verifyAudit(t.repo);
    expect(report.records.map((r) => r.problems)).toEqual([[], []]);
  });

  it('the rest of such a record is still checked', async () => {
    await appendOldStyle((r) => {
      r.pcfPerDeclaredUnitDisplay = '1';
    });
    const report = await verifyAudit(t.repo);
    expect(report.ok).toBe(false);
    expect(report.records[0]!.problems).toEqual([expect.stringContaining('replay does not reproduce the result')]);
  });
});
