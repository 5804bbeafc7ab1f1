import { decodeRollups } from '../src/ingest/quantities';
import Database from 'better-sqlite3';
import { verifyAudit } from '../src/audit/verify';
import { showAudit } from '../src/audit/show';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import { DEMO_MORNING, loadDemo, tempDb, type TempDb } from './helpers';

const options = DEMO_MORNING;

describe('audit trail', () => {
  let t: TempDb;
  let ids: string[];
  beforeEach(async () => {
    t = tempDb();
    await loadDemo(t.repo);
    ids = [];
    for (const p of ['steel-sheet', 'housing', 'widget'])
      ids.push((await new PcfService(t.repo).calculateAndStore(p, options)).audit.resultId);
  });
  afterEach(async () => {
    await t.cleanup();
  });
  const tamper = (sql: string, ...params: unknown[]) => {
    const db = new Database(t.file);
    db.prepare(sql).run(...params);
    db.close();
  };

  it('chains records and verifies by recomputing every result', async () => {
    const records = await t.repo.listAuditRecords();
    expect(records).toHaveLength(3);
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    const report = await verifyAudit(t.repo);
    expect(report.records.map((r) => r.problems)).toEqual([[], [], []]);
    expect(report.ok).toBe(true);
  });

  it('detects a tampered stored result', async () => {
    tamper(
      `UPDATE pcf_results SET result = replace(result, '"pcfPerDeclaredUnit":"', '"pcfPerDeclaredUnit":"1') WHERE id = ?`,
      ids[2],
    );
    const report = await verifyAudit(t.repo);
    expect(report.ok).toBe(false);
    expect(report.records[2]!.problems[0]).toMatch(/^stored result differs from the audited result/);
    expect(report.records[0]!.ok).toBe(true);
  });

  it('detects a factor changed after the fact', async () => {
    tamper(
      `UPDATE reference_entities SET data = replace(data, '0.204950289', '0.104950289') WHERE kind = 'factors' AND entity_id = 'desnz-2023-electricity-uk'`,
    );
    const report = await verifyAudit(t.repo);
    expect(report.ok).toBe(false);
    for (const r of report.records) {
      expect(r.problems).toContain(`input factors 'desnz-2023-electricity-uk' version 4 was changed after the fact`);
      expect(r.problems.some((p) => p.startsWith('replay does not reproduce the result'))).toBe(true);
    }
  });

  it('detects an altered audit record and a broken chain', async () => {
    tamper(
      `UPDATE audit_records SET body = replace(body, '"gwpSet":"AR5"', '"gwpSet":"AR6"') WHERE result_id = ?`,
      ids[1],
    );
    const report = await verifyAudit(t.repo);
    expect(report.records[1]!.problems).toContain('record hash does not match its body (the audit record was altered)');
    tamper(`DELETE FROM audit_records WHERE result_id = ?`, ids[1]);
    const after = await verifyAudit(t.repo);
    expect(after.records[1]!.problems[0]).toMatch(/^chain broken/);
  });

  it('replays what was used after a revision, and finds a used revision altered in the history', async () => {
    const first = demoRollups().find((r) => r.type === 'line' && r.line === 'line-2')!;
    await t.repo.ingest({ rollups: decodeRollups([{ ...first, revision: 2, electricityKWh: 9 }]), deadLetters: [] });
    expect((await verifyAudit(t.repo)).records.map((r) => r.problems)).toEqual([[], [], []]);
    tamper(
      `UPDATE rollup_revisions SET electricity_ukwh = electricity_ukwh + 1 WHERE id = ? AND revision = 1`,
      first.id,
    );
    const report = await verifyAudit(t.repo);
    // widget's record read line-2; steel-sheet's did not
    expect(report.records[2]!.problems).toEqual([
      `input rollup ${first.id} revision 1: its values differ from its document as received`,
      expect.stringMatching(/^replay does not reproduce the result/),
    ]);
    expect(report.records[0]!.problems).toEqual([]);
  });

  it('finds a document as received altered, and a current view that is not the highest revision', async () => {
    const first = demoRollups().find((r) => r.type === 'line' && r.line === 'line-2')!;
    // revision 1 is the current view's: it carries its document (ADR 0270)
    tamper(`UPDATE rollups SET doc = replace(doc, '"coverage":1', '"coverage":0.5') WHERE id = ?`, first.id);
    const altered = await verifyAudit(t.repo);
    expect(altered.records[2]!.problems).toEqual([
      `input rollup ${first.id} revision 1 was changed after the fact (its document)`,
      `input rollup ${first.id} revision 1: its values differ from its document as received`,
    ]);
    // the trigger kept the original in the history: the view now differs from it
    const disagrees = `current view of rollup ${first.id} disagrees with its kept history (the view was altered or deleted, or a kept revision is above it)`;
    expect(altered.store).toEqual([disagrees]);
    // put back byte for byte, the view equals its kept original again
    tamper(`UPDATE rollups SET doc = replace(doc, '"coverage":0.5', '"coverage":1') WHERE id = ?`, first.id);
    expect((await verifyAudit(t.repo)).ok).toBe(true);
    tamper(`UPDATE rollups SET coverage = 0.25 WHERE id = ?`, first.id);
    const report = await verifyAudit(t.repo);
    expect(report.records[2]!.problems).toContain(
      `input rollup ${first.id} revision 1: its values differ from its document as received`,
    );
    expect(report.records[0]!.ok).toBe(true);
    expect(report.store).toEqual([disagrees]);
    expect(report.ok).toBe(false);
  });

  it('finds a current view row deleted, used or not', async () => {
    const unused = demoRollups().find((r) => r.type === 'line' && r.line === 'line-1')!;
    tamper(`DELETE FROM rollups WHERE id = ?`, unused.id);
    const report = await verifyAudit(t.repo);
    expect(report.store).toEqual([
      `current view of rollup ${unused.id} disagrees with its kept history (the view was altered or deleted, or a kept revision is above it)`,
    ]);
    expect(report.ok).toBe(false);
  });

  it('shows the derivation as a tree', async () => {
    const text = await showAudit(t.repo, ids[2]!);
    expect(text).toContain('PCF widget per piece');
    expect(text).toMatch(/├─ materials per declared unit \(BOM\)/);
    expect(text).toMatch(/supplier product urn:pathfinder:product:customcode:buyer-assigned:motor-unit/);
    expect(text).toContain('line-2: metered 128, allocated 128, overhead 0, unallocated 0, residual 0');
  });
});
