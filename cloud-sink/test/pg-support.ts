import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openPostgresRepository } from '../src/store/postgres';
import type { CloudSinkRepository } from '../src/store/repository';
import { tempDb } from './helpers';

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

/** A store a CLI test points `cloud-sink` at: its repository, and the arguments and environment that name it. */
export interface CliStore {
  repo: CloudSinkRepository;
  args: string[];
  env: NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

/**
 * The stores a CLI test runs on, for `describe.each`: a SQLite file always; PostgreSQL (a fresh schema, named to the
 * CLI by environment) when PG_URL is set, else `suite` gets the skip notice.
 */
export function cliStores(suite: string): [string, () => Promise<CliStore>][] {
  const stores: [string, () => Promise<CliStore>][] = [
    [
      'SQLite',
      () => {
        const t = tempDb();
        return Promise.resolve({ repo: t.repo, args: ['--db', t.file], env: {}, dispose: () => t.cleanup() });
      },
    ],
  ];
  const url = PG_URL;
  if (url)
    stores.push([
      'PostgreSQL',
      async () => {
        const o = await openPgInFreshSchema(url);
        return {
          repo: o.repo,
          args: [],
          env: { PCF_EDGE_DATABASE_URL: url, PCF_EDGE_DATABASE_SCHEMA: o.schema },
          dispose: () => o.dispose(),
        };
      },
    ]);
  else pgSkipNotice(suite);
  return stores;
}
