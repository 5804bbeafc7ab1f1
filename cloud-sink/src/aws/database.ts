import { PcfError, type Logger } from '@pcf-edge/core';
import { openPostgresRepository, type PostgresRepositoryOptions } from '../store/postgres';
import type { CloudSinkRepository } from '../store/repository';
import { readSecretJson, type SecretsClient } from './secrets';

/** The fields of an RDS database secret (the JSON Secrets Manager keeps for a cluster) that a connection needs. */
export interface DatabaseSecret {
  username: string;
  password: string;
  host: string;
  port: number;
  dbname: string;
}

export type SslMode = 'verify-full' | 'disable';

/** Where the Lambda entries find their database: from the environment the stack sets. */
export interface DatabaseSettings {
  secretArn: string;
  /** Host to connect to instead of the secret's (the RDS Proxy endpoint); the secret's host is the cluster's. */
  host?: string;
  /** `verify-full` (TLS, certificate and host name checked; the default) or `disable` (local tests only). */
  sslMode: SslMode;
  /** PostgreSQL schema holding the tables; default `public`. */
  schema?: string;
}

/** Reads PCF_EDGE_DB_SECRET_ARN, PCF_EDGE_DB_HOST, PCF_EDGE_DB_SSLMODE and PCF_EDGE_DB_SCHEMA; ERR_CONFIG_INVALID names each bad one. */
export function databaseSettingsFromEnv(env: NodeJS.ProcessEnv): DatabaseSettings {
  const errors: string[] = [];
  const secretArn = env.PCF_EDGE_DB_SECRET_ARN ?? '';
  if (secretArn === '') errors.push('PCF_EDGE_DB_SECRET_ARN is required (the ARN of the database secret)');
  const sslMode = env.PCF_EDGE_DB_SSLMODE ?? 'verify-full';
  if (sslMode !== 'verify-full' && sslMode !== 'disable')
    errors.push(`PCF_EDGE_DB_SSLMODE must be verify-full or disable (got '${sslMode}')`);
  if (errors.length > 0)
    throw new PcfError('ERR_CONFIG_INVALID', `invalid Lambda environment:\n  ${errors.join('\n  ')}`, { errors });
  return {
    secretArn,
    sslMode: sslMode as SslMode,
    ...(env.PCF_EDGE_DB_HOST ? { host: env.PCF_EDGE_DB_HOST } : {}),
    ...(env.PCF_EDGE_DB_SCHEMA ? { schema: env.PCF_EDGE_DB_SCHEMA } : {}),
  };
}

/** Checks the secret's shape; the error names missing or mistyped fields, never a value. */
export function parseDatabaseSecret(data: Record<string, unknown>, secretId: string): DatabaseSecret {
  const bad: string[] = [];
  for (const k of ['username', 'password', 'host', 'dbname'] as const)
    if (typeof data[k] !== 'string' || data[k] === '') bad.push(k);
  const port = typeof data.port === 'string' ? Number(data.port) : data.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) bad.push('port');
  if (bad.length > 0)
    throw new PcfError('ERR_SECRET', `database secret ${secretId} lacks a valid ${bad.join(', ')}`, {
      secretId,
      fields: bad,
    });
  return {
    username: data.username as string,
    password: data.password as string,
    host: data.host as string,
    port: port as number,
    dbname: data.dbname as string,
  };
}

/** postgres:// URL for `pg`; user and password percent-encoded. Holds the password: never log it. */
export function connectionString(secret: DatabaseSecret, settings: Pick<DatabaseSettings, 'host' | 'sslMode'>): string {
  const user = encodeURIComponent(secret.username);
  const password = encodeURIComponent(secret.password);
  const db = encodeURIComponent(secret.dbname);
  return `postgres://${user}:${password}@${settings.host ?? secret.host}:${secret.port}/${db}?sslmode=${settings.sslMode}`;
}

/** PostgreSQL SQLSTATEs of a refused login: the password changed (secret rotation) or the role is not allowed in. */
const AUTH_FAILURES = new Set(['28P01', '28000']);

function isAuthFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && AUTH_FAILURES.has(code)) return true;
  }
  return false;
}

export interface OpenedDatabase {
  /** The repository; a refused login on any call marks the connection stale. */
  repo: CloudSinkRepository;
  /** True once a login was refused: the caller closes this and opens again, which reads the secret again. */
  stale(): boolean;
  close(): Promise<void>;
}

export interface OpenDatabaseDeps {
  secrets: SecretsClient;
  settings: DatabaseSettings;
  log: Logger;
  poolSize: number;
  /** Default: openPostgresRepository, which refuses a schema that is not current (the migrate entry makes it so). */
  open?: (options: PostgresRepositoryOptions) => Promise<CloudSinkRepository>;
}

/**
 * Reads the database secret and opens the PostgreSQL repository. The connection string exists only in this call and
 * in the pool; it is never logged. A refused login (after a rotation of the secret) marks the result stale, so the
 * next invocation reads the secret again instead of failing until the instance is recycled.
 */
export async function openDatabase(deps: OpenDatabaseDeps): Promise<OpenedDatabase> {
  const { settings } = deps;
  const secret = parseDatabaseSecret(await readSecretJson(deps.secrets, settings.secretArn), settings.secretArn);
  const inner = await (deps.open ?? openPostgresRepository)({
    connectionString: connectionString(secret, settings),
    poolSize: deps.poolSize,
    ...(settings.schema ? { schema: settings.schema } : {}),
  }).catch((err: unknown) => {
    if (isAuthFailure(err)) deps.log.warn({ secretArn: settings.secretArn }, 'database refused the login');
    throw err;
  });
  let stale = false;
  const watch = (err: unknown): never => {
    if (!stale && isAuthFailure(err)) {
      stale = true;
      deps.log.warn({ secretArn: settings.secretArn }, 'database refused the login; the secret is read again');
    }
    throw err;
  };
  // own enumerable members of the opened repository, each method watched; views made by spreading keep working
  const repo = Object.fromEntries(
    Object.entries(inner).map(([k, v]) => [
      k,
      typeof v === 'function' && k !== 'close'
        ? (...args: unknown[]) => (v as (...a: unknown[]) => Promise<unknown>).apply(inner, args).catch(watch)
        : v,
    ]),
  ) as unknown as CloudSinkRepository;
  return { repo, stale: () => stale, close: () => inner.close() };
}

/**
 * One value per Lambda instance, opened on first use and opened again when `isStale` says so or a previous
 * opening failed. `get` calls never overlap in one instance (Lambda sends one event at a time), but a failed
 * opening is never cached either way.
 */
export function instanceResource<T>(
  open: () => Promise<T>,
  isStale: (value: T) => boolean,
  close: (value: T) => Promise<void>,
): { get(): Promise<T>; close(): Promise<void> } {
  let current: Promise<T> | undefined;
  const reset = async () => {
    const old = current;
    current = undefined;
    if (old) await old.then(close, () => undefined).catch(() => undefined);
  };
  return {
    async get() {
      if (current) {
        const value = await current.catch(() => undefined);
        if (value === undefined || isStale(value)) await reset();
      }
      current ??= open();
      return current;
    },
    close: reset,
  };
}
