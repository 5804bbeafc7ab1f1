import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRollups } from '../src/ingest/quantities';
import { demoRollups } from '../src/service/demo-rollups';
import { HISTORY_COLUMNS } from '../src/store/migrations';
import { migratePostgres, openPostgresRepository } from '../src/store/postgres';
import type { CloudSinkRepository } from '../src/store/repository';
import { openSqliteRepository } from '../src/store/sqlite';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';

/**
 * Migration 270 (ADR 0270): the current view takes its revision's document back from the history, which then keeps
 * only the revisions it replaced; a history row that differs from the view stays, for `audit verify` to report. From
 * then on, a first arrival is written once, and the row a revision replaces is kept by a trigger.
 */
type Run = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Runs SQL on a SQLite repository's own connection: the rows of a query, none of a change. */
const sqliteRun =
  (repo: CloudSinkRepository): Run =>
  async (sql, params = []) => {
    const db = repo.connection!.kind === 'sqlite' ? repo.connection!.db : undefined;
    const stmt = db!.prepare(sql);
    return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), []);
  };

const [a, b, c] = demoRollups().filter((r) => r.type === 'line');

/** Ingests a and b (revision 1), then revision 2 of a: the history holds a@1 only. */
async function fill(repo: CloudSinkRepository) {
  await repo.ingest({ rollups: decodeRollups([a!, b!]), deadLetters: [] });
  await repo.ingest({ rollups: decodeRollups([{ ...a!, revision: 2, coverage: 0.5 }]), deadLetters: [] });
}

const kept = async (run: Run) =>
  (await run('SELECT id, revision FROM rollup_revisions ORDER BY id, revision')).map((r) => `${r.id}@${r.revision}`);

/** Puts a migrated store back to before migration 270: every revision in the history, the view without documents. */
async function rewind(run: Run, dropTriggers: string[]) {
  for (const sql of dropTriggers) await run(sql);
  await run(`INSERT INTO rollup_revisions (${HISTORY_COLUMNS}) SELECT ${HISTORY_COLUMNS} FROM rollups`);
  await run('ALTER TABLE rollups DROP COLUMN doc');
  await run('DELETE FROM schema_migrations WHERE version = 270');
}

/** What the migration leaves, and what the trigger keeps after it. */
async function expectMigrated(repo: CloudSinkRepository, run: Run, bWasAltered: boolean) {
  expect(await kept(run)).toEqual([`${a!.id}@1`, ...(bWasAltered ? [`${b!.id}@1`] : [])].sort());
  const docs = await run('SELECT id, revision, doc FROM rollups ORDER BY id');
  expect(docs.map((r) => [r.id, Number(r.revision), JSON.parse(r.doc as string).coverage])).toEqual(
    [
      [a!.id, 2, 0.5],
      [b!.id, 1, b!.coverage],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
  );
  expect(await repo.currentViewProblems()).toEqual(bWasAltered ? [b!.id] : []);
  const revisions = await repo.getRollupRevisions([
    { id: a!.id, revision: 1 },
    { id: a!.id, revision: 2 },
  ]);
  expect(revisions.map((k) => [k.rollup.revision, JSON.parse(k.doc).revision])).toEqual([
    [1, 1],
    [2, 2],
  ]);
  // a new window is written once; a revision below it goes to the history, one already kept changes nothing
  const out = await repo.ingest({ rollups: decodeRollups([c!, { ...c!, revision: 3 }, a!]), deadLetters: [] });
  expect(out).toEqual({ applied: 1, ignored: 2, deadLettered: 0, revisions: 2 });
  // late: kept in the history; higher: the view's row moves there
  expect(await repo.ingest({ rollups: decodeRollups([{ ...c!, revision: 2 }]), deadLetters: [] })).toMatchObject({
    applied: 0,
    revisions: 1,
  });
  expect(await repo.ingest({ rollups: decodeRollups([{ ...c!, revision: 4 }]), deadLetters: [] })).toMatchObject({
    applied: 1,
    revisions: 1,
  });
  expect(await kept(run)).toEqual(
    [`${a!.id}@1`, ...(bWasAltered ? [`${b!.id}@1`] : []), `${c!.id}@1`, `${c!.id}@2`, `${c!.id}@3`].sort(),
  );
  expect(await repo.currentViewProblems()).toEqual(bWasAltered ? [b!.id] : []);
}

describe('migration 270: the history keeps superseded revisions', () => {
  for (const altered of [false, true]) {
    it(`moves each current document into the view on SQLite${altered ? ', keeping a history row that differs' : ''}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'history-migration-'));
      const file = join(dir, 'db.sqlite');
      try {
        const before = openSqliteRepository({ file });
        await fill(before);
        await rewind(sqliteRun(before), ['DROP TRIGGER rollups_keep_updated', 'DROP TRIGGER rollups_keep_deleted']);
        if (altered) await sqliteRun(before)('UPDATE rollup_revisions SET coverage = 0.75 WHERE id = ?', [b!.id]);
        await before.close();
        const after = openSqliteRepository({ file });
        await expectMigrated(after, sqliteRun(after), altered);
        await after.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  const pg = PG_URL;
  if (!pg) {
    pgSkipNotice('history migration');
    return;
  }
  for (const altered of [false, true]) {
    it(`moves each current document into the view on PostgreSQL${altered ? ', keeping a history row that differs' : ''}`, async () => {
      const o = await openPgInFreshSchema(pg);
      try {
        await fill(o.repo);
        const pool = o.repo.connection!.kind === 'postgres' ? o.repo.connection!.pool : undefined;
        const run: Run = async (sql, params) => (await pool!.query(sql, params)).rows as Record<string, unknown>[];
        await rewind(run, ['DROP TRIGGER rollups_keep_old ON rollups', 'DROP FUNCTION rollups_keep_old()']);
        if (altered) await run('UPDATE rollup_revisions SET coverage = 0.75 WHERE id = $1', [b!.id]);
        expect(await migratePostgres({ connectionString: pg, schema: o.schema })).toMatchObject([{ version: 270 }]);
        const after = await openPostgresRepository({ connectionString: pg, schema: o.schema, poolSize: 2 });
        try {
          await expectMigrated(after, run, altered);
        } finally {
          await after.close();
        }
      } finally {
        await o.dispose();
      }
    });
  }
});
