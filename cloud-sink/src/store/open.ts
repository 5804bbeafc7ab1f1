import { PcfError } from '@pcf-edge/core';
import type { AppliedMigration } from './migrations';
import { migratePostgres, openPostgresRepository } from './postgres';
import type { CloudSinkRepository } from './repository';
import { migrateSqlite, openSqliteRepository } from './sqlite';

/** The SQLite file every command uses when no store is given. */
export const DEFAULT_DB = '.pcf-edge/cloud-sink.sqlite';
/** Environment variables naming the PostgreSQL store (so the URL, which may hold a password, is never in argv). */
export const DATABASE_URL_ENV = 'PCF_EDGE_DATABASE_URL';
export const DATABASE_SCHEMA_ENV = 'PCF_EDGE_DATABASE_SCHEMA';

/** Where the cloud-sink store is: a SQLite file (the embedded default) or a PostgreSQL schema. */
export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema: string };

export interface StoreArgs {
  db?: string;
  databaseUrl?: string;
  dbSchema?: string;
}

/**
 * The store a process uses: `--db <file>` or `--database-url <url>` (not both), else PCF_EDGE_DATABASE_URL, else
 * SQLite at DEFAULT_DB; the PostgreSQL schema from `--db-schema`, else PCF_EDGE_DATABASE_SCHEMA, else `public`. A URL
 * given on the command line must not hold a password (every user of the machine can read argv): put it in the
 * environment (PCF_EDGE_DATABASE_URL, or PGPASSWORD beside the URL). ERR_USAGE otherwise.
 */
export function storeLocation(args: StoreArgs, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  if (args.db !== undefined && args.databaseUrl !== undefined)
    throw new PcfError('ERR_USAGE', 'give --db or --database-url, not both');
  if (args.databaseUrl !== undefined && hasPassword(args.databaseUrl))
    throw new PcfError(
      'ERR_USAGE',
      `--database-url must not hold a password (the process list shows it): set ${DATABASE_URL_ENV}, or PGPASSWORD`,
    );
  const url = args.databaseUrl ?? (args.db === undefined ? env[DATABASE_URL_ENV] || undefined : undefined);
  if (url === undefined) return { kind: 'sqlite', file: args.db ?? DEFAULT_DB };
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new PcfError('ERR_USAGE', `the database URL must start with postgres:// (got ${redact(url)})`);
  const schema = args.dbSchema ?? (env[DATABASE_SCHEMA_ENV] || 'public');
  if (!SCHEMA_NAME.test(schema))
    throw new PcfError('ERR_USAGE', `PostgreSQL schema name '${schema}' must be lower-case letters, digits and _`);
  return { kind: 'postgres', url, schema };
}

/** A PostgreSQL schema name cloud-sink accepts (it is interpolated as an identifier). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** The URL with any password replaced by `***` (for messages and logs). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** A store location for messages: never a password. */
export function describeStore(loc: StoreLocation): string {
  return loc.kind === 'sqlite' ? `SQLite ${loc.file}` : `PostgreSQL ${redact(loc.url)} schema ${loc.schema}`;
}

/**
 * Opens the store. SQLite migrates on open (an embedded file has no one else to do it); PostgreSQL must be at this
 * code's schema version unless `migrate` (ADR 0181).
 */
export async function openRepository(
  loc: StoreLocation,
  options: { migrate?: boolean; poolSize?: number } = {},
): Promise<CloudSinkRepository> {
  if (loc.kind === 'sqlite') return openSqliteRepository({ file: loc.file });
  return openPostgresRepository({
    connectionString: loc.url,
    schema: loc.schema,
    ...(options.poolSize ? { poolSize: options.poolSize } : {}),
    ...(options.migrate ? { migrate: true } : {}),
  });
}

/** Applies the pending migrations; returns those applied (none when the store was current). */
export function migrateStore(loc: StoreLocation): Promise<AppliedMigration[]> {
  return loc.kind === 'sqlite'
    ? Promise.resolve(migrateSqlite(loc.file))
    : migratePostgres({ connectionString: loc.url, schema: loc.schema });
}
