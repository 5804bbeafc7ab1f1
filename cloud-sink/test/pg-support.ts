import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openPostgresRepository } from '../src/store/postgres';
import type { CloudSinkRepository } from '../src/store/repository';

/** URL of the test PostgreSQL server; PostgreSQL suites skip (with a printed notice) when it is unset. */
export const PG_URL = process.env.PCF_EDGE_TEST_DATABASE_URL;

export function pgSkipNotice(suite: string): void {
  console.warn(
    `${suite}: PostgreSQL tests skipped (set PCF_EDGE_TEST_DATABASE_URL=postgres://user:password@127.0.0.1:5432/db to run them)`,
  );
}

/** A repository in a fresh schema of its own (so parallel runs never meet); dispose drops the schema. */
export async function openPgInFreshSchema(
  url: string,
): Promise<{ repo: CloudSinkRepository; schema: string; dispose(): Promise<void> }> {
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const repo = await openPostgresRepository({ connectionString: url, schema, poolSize: 4, migrate: true });
  return {
    repo,
    schema,
    dispose: async () => {
      await repo.close();
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
