import { silentLogger } from '@pcf-edge/core';
import { apiConfig } from '../src/api/config';
import { verifyAudit } from '../src/audit/verify';
import { runCli } from '../src/cli/run';
import { decodeRollups } from '../src/ingest/quantities';
import { createFootprintPublisher } from '../src/pact/publish';
import { publishedAnnouncer } from '../src/pact/published-events';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import { recomputeStale, thresholdPercent } from '../src/service/recompute';
import { migratePostgres } from '../src/store/postgres';
import { linkHash } from '../src/store/record-chain';
import { openSqliteRepository } from '../src/store/sqlite';
import type { CloudSinkRepository, Recomputation, StoredFootprint } from '../src/store/repository';
import { DEMO_MORNING, loadDemo, tempDb } from './helpers';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';

/**
 * `audit verify` covers what was published and recomputed (ADR 0236), on SQLite and PostgreSQL: a store with a
 * footprint republished after late data (Deprecated v2, new id) and two recomputations (one with a successor, one
 * kept current with a note) verifies; each tampering of a footprint version or recomputation row fails it with a
 * message naming the row and what is wrong.
 */
const options = DEMO_MORNING;

interface Store {
  repo: CloudSinkRepository;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Applies pending migrations to the store and returns a repository over it (SQLite: a second handle, closed by dispose). */
  migrateAgain(): Promise<CloudSinkRepository>;
  dispose(): Promise<void>;
}
const stores: [string, () => Promise<Store>][] = [
  [
    'SQLite',
    () => {
      const t = tempDb();
      let again: CloudSinkRepository | undefined;
      return Promise.resolve({
        repo: t.repo,
        args: ['--db', t.file],
        env: {},
        migrateAgain: () => Promise.resolve((again = openSqliteRepository({ file: t.file }))),
        dispose: async () => {
          await again?.close();
          await t.cleanup();
        },
      });
    },
  ],
];
const url = PG_URL;
if (url)
  stores.push([
    'PostgreSQL',
    async () => {
      const o = await openPgInFreshSchema(url);
      const env = { PCF_EDGE_DATABASE_URL: url, PCF_EDGE_DATABASE_SCHEMA: o.schema };
      const migrateAgain = async () => {
        await migratePostgres({ connectionString: url, schema: o.schema });
        return o.repo;
      };
      return { repo: o.repo, args: [], env, migrateAgain, dispose: () => o.dispose() };
    },
  ]);
else pgSkipNotice('audit of published records');

/** Runs one statement with `?` placeholders on either store. */
async function exec(repo: CloudSinkRepository, sql: string, params: unknown[] = []): Promise<void> {
  const c = repo.connection!;
  if (c.kind === 'sqlite') c.db.prepare(sql).run(...params);
  else {
    let i = 0;
    await c.pool.query(
      sql.replace(/\?/g, () => `$${++i}`),
      params,
    );
  }
}

describe.each(stores)('audit verify of footprints and recomputations (%s)', (_name, open) => {
  let s: Store;
  let first: StoredFootprint;
  let next: StoredFootprint;
  beforeEach(async () => {
    s = await open();
    await loadDemo(s.repo);
    const publisher = createFootprintPublisher({
      repo: s.repo,
      company: apiConfig({ clients: [] }).pact,
      log: silentLogger(),
      announce: publishedAnnouncer(s.repo, { baseUrl: 'https://pcf.example' }),
    });
    await new PcfService(s.repo).calculateAndStore('widget', options);
    first = (await publisher.sync()).published[0]!;
    const w = demoRollups().find((r) => r.type === 'line' && r.line === 'line-2')!;
    const revise = (revision: number, kWh: number) =>
      s.repo.ingest({
        rollups: decodeRollups([{ ...w, revision, electricityKWh: w.electricityKWh + kWh }]),
        deadLetters: [],
      });
    await revise(2, 8);
    await recomputeStale(s.repo, thresholdPercent('0.1'));
    next = (await publisher.sync()).published.find((f) => f.id !== first.id)!;
    await revise(3, 8.001); // below the threshold: a recomputation without successor, with a note
    expect((await recomputeStale(s.repo, thresholdPercent('0.1')))[0]).toMatchObject({ successorId: null });
  });
  afterEach(async () => {
    await s.dispose();
  });
  const storeProblems = async () => {
    const report = await verifyAudit(s.repo);
    expect(report.records.every((r) => r.ok)).toBe(true); // the result records themselves are untouched
    return report.store;
  };
  const recomputations = () => s.repo.listRecordChain('recomputations');

  it('verifies a store with republished footprints and both kinds of recomputation', async () => {
    expect((await s.repo.listRecordChain('footprints')).map((l) => l.label)).toEqual([
      `footprint ${first.id} version 1`,
      `footprint ${first.id} version 2`,
      `footprint ${next.id} version 1`,
    ]);
    expect((await s.repo.listRecomputations()).map((r) => r.successorId === null)).toEqual([false, true]);
    expect(await verifyAudit(s.repo)).toMatchObject({ ok: true, store: [] });
  });

  it('finds a published footprint document changed, and says so through the CLI', async () => {
    const doc = {
      ...(first.doc as { pcf: object }),
      pcf: { ...(first.doc as { pcf: object }).pcf, pCfExcludingBiogenic: '0.1' },
    };
    await exec(s.repo, 'UPDATE footprints SET doc = ? WHERE id = ? AND version = 1', [JSON.stringify(doc), first.id]);
    const message = `footprint ${first.id} version 1 was changed after it was published (its hash differs)`;
    expect(await storeProblems()).toEqual([message]);
    const out: string[] = [];
    const code = await runCli(['audit', 'verify', ...s.args], {
      out: (x) => out.push(x),
      err: (x) => out.push(x),
      log: silentLogger(),
      onSignal: () => undefined,
      env: s.env,
    });
    expect(code).toBe(1);
    expect(out).toContain(`FAIL store: ${message}`);
  });

  it('finds a Deprecated footprint made Active again', async () => {
    await exec(s.repo, "UPDATE footprints SET status = 'Active' WHERE id = ? AND version = 2", [first.id]);
    expect(await storeProblems()).toEqual([
      `footprint ${first.id} version 2 was changed after it was published (its hash differs)`,
      `footprint ${first.id} version 2: its document says ${first.id} version 2 Deprecated`,
    ]);
  });

  it('finds a published footprint version deleted', async () => {
    await exec(s.repo, 'DELETE FROM footprints WHERE id = ? AND version = 2', [first.id]);
    expect(await storeProblems()).toEqual([
      `footprints chain broken at footprint ${next.id} version 1: a row before it was deleted, inserted or reordered, or its link altered`,
    ]);
  });

  it('finds a recomputation note changed', async () => {
    const [, noted] = await recomputations();
    await exec(s.repo, "UPDATE result_recomputations SET note = 'nothing happened' WHERE successor_id IS NULL");
    expect(await storeProblems()).toEqual([`${noted!.label} was changed after it was recorded (its hash differs)`]);
  });

  it('finds a recomputation changed and re-chained by hand against its successor’s audit record', async () => {
    const [republished, noted] = await recomputations();
    const edited = { ...(republished!.content as Recomputation), relativeChange: '0.5' };
    const h1 = linkHash(edited, republished!.prevHash!);
    const h2 = linkHash(noted!.content, h1);
    await exec(
      s.repo,
      "UPDATE result_recomputations SET relative_change = '0.5', hash = ? WHERE successor_id IS NOT NULL",
      [h1],
    );
    await exec(s.repo, 'UPDATE result_recomputations SET prev_hash = ?, hash = ? WHERE successor_id IS NULL', [h1, h2]);
    const rec = republished!.content as Recomputation;
    expect(await storeProblems()).toEqual([
      `${republished!.label} differs from what the audit record of its successor ${rec.successorId} says it superseded (${rec.resultId}, change ${rec.relativeChange}, threshold ${rec.threshold})`,
    ]);
  });

  it('finds a footprint pointed at a result that is not stored, even when re-chained', async () => {
    const links = await s.repo.listRecordChain('footprints');
    const moved = { ...(links[0]!.content as StoredFootprint), resultId: 'no-such-result' };
    let prev = linkHash(moved, links[0]!.prevHash!);
    await exec(s.repo, 'UPDATE footprints SET result_id = ?, hash = ? WHERE id = ? AND version = 1', [
      'no-such-result',
      prev,
      first.id,
    ]);
    for (const l of links.slice(1)) {
      const hash = linkHash(l.content, prev);
      const f = l.content as StoredFootprint;
      await exec(s.repo, 'UPDATE footprints SET prev_hash = ?, hash = ? WHERE id = ? AND version = ?', [
        prev,
        hash,
        f.id,
        f.version,
      ]);
      prev = hash;
    }
    expect(await storeProblems()).toEqual([
      `footprint ${first.id} version 1 names result no-such-result, which is not stored`,
    ]);
  });

  it('chains at migration 236 what was published and recomputed before it', async () => {
    const before = await s.repo.listRecordChain('footprints');
    for (const sql of [
      'DROP INDEX footprints_chain',
      'ALTER TABLE footprints DROP COLUMN chain_seq',
      'ALTER TABLE footprints DROP COLUMN prev_hash',
      'ALTER TABLE footprints DROP COLUMN hash',
      'ALTER TABLE result_recomputations DROP COLUMN prev_hash',
      'ALTER TABLE result_recomputations DROP COLUMN hash',
      'DELETE FROM schema_migrations WHERE version = 236',
    ])
      await exec(s.repo, sql);
    const repo = await s.migrateAgain();
    const after = await repo.listRecordChain('footprints');
    expect(after.map((l) => l.label).sort()).toEqual(before.map((l) => l.label).sort());
    expect(after.every((l) => l.hash !== null)).toBe(true);
    expect(await verifyAudit(repo)).toMatchObject({ ok: true, store: [] });
  });
});
