import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNADDRESSED } from '../src/store/migrations';
import { migratePostgres, openPostgresRepository } from '../src/store/postgres';
import type { CloudSinkRepository } from '../src/store/repository';
import { openSecurityStore } from '../src/store/security-store';
import { openSqliteRepository } from '../src/store/sqlite';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';

/**
 * Migration 235 (ADR 0235): the Published events that `outbound_events` recorded before delivery existed move into
 * the one delivery queue as history, and the table goes — on SQLite and PostgreSQL.
 */
const OLD_TABLE = `CREATE TABLE outbound_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, event TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL, delivered_at_ms BIGINT)`;
const TYPE = 'org.wbcsd.pathfinder.ProductFootprint.Published.v1';
const event = (id: string) => JSON.stringify({ specversion: '1.0', id, type: TYPE, data: { pfIds: [`pf-${id}`] } });

/** Puts a migrated store back to before migration 235 with two recorded events (one marked delivered). */
async function rewind(run: (sql: string, params?: unknown[]) => Promise<unknown>, p: (i: number) => string) {
  await run(OLD_TABLE);
  const insert = `INSERT INTO outbound_events VALUES (${[1, 2, 3, 4, 5].map(p).join(', ')})`;
  await run(insert, ['e1', TYPE, event('e1'), 1000, null]);
  await run(insert, ['e2', TYPE, event('e2'), 2000, 2500]);
  await run('DELETE FROM schema_migrations WHERE version = 235');
}

async function expectMerged(repo: CloudSinkRepository, tableGone: Promise<boolean>) {
  expect(await openSecurityStore(repo).listDeliveries()).toEqual([
    {
      id: 'e1',
      clientId: '',
      type: TYPE,
      url: '',
      body: event('e1'),
      status: 'failed',
      attempts: 0,
      nextAttemptMs: 1000,
      lastError: UNADDRESSED,
      createdAtMs: 1000,
      finishedAtMs: 1000,
    },
    {
      id: 'e2',
      clientId: '',
      type: TYPE,
      url: '',
      body: event('e2'),
      status: 'delivered',
      attempts: 0,
      nextAttemptMs: 2000,
      createdAtMs: 2000,
      finishedAtMs: 2500,
    },
  ]);
  expect(await tableGone).toBe(true);
}

describe('migration 235: one PACT event queue', () => {
  it('moves recorded events into the delivery queue on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'event-queue-'));
    const file = join(dir, 'db.sqlite');
    try {
      const before = openSqliteRepository({ file });
      const db = before.connection!.kind === 'sqlite' ? before.connection!.db : undefined;
      await rewind(
        async (sql, params = []) => db!.prepare(sql).run(...params),
        () => '?',
      );
      await before.close();
      const after = openSqliteRepository({ file });
      const db2 = after.connection!.kind === 'sqlite' ? after.connection!.db : undefined;
      const gone = db2!.prepare("SELECT name FROM sqlite_master WHERE name = 'outbound_events'").all().length === 0;
      await expectMerged(after, Promise.resolve(gone));
      await after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const pg = PG_URL;
  if (!pg) {
    pgSkipNotice('event queue migration');
    return;
  }
  it('moves recorded events into the delivery queue on PostgreSQL', async () => {
    const o = await openPgInFreshSchema(pg);
    try {
      const pool = o.repo.connection!.kind === 'postgres' ? o.repo.connection!.pool : undefined;
      await rewind(
        (sql, params) => pool!.query(sql, params),
        (i) => `$${i}`,
      );
      expect(await migratePostgres({ connectionString: pg, schema: o.schema })).toMatchObject([{ version: 235 }]);
      const after = await openPostgresRepository({ connectionString: pg, schema: o.schema, poolSize: 2 });
      try {
        const gone = pool!
          .query(`SELECT to_regclass('${o.schema}.outbound_events') AS t`)
          .then((r) => (r.rows[0] as { t: unknown }).t === null);
        await expectMerged(after, gone);
      } finally {
        await after.close();
      }
    } finally {
      await o.dispose();
    }
  });
});
