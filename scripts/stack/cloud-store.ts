import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DATABASE_SCHEMA_ENV, describeStore, storeLocation, type StoreLocation } from '../../cloud-sink/src/store/open';

/**
 * The cloud-sink store of a local stack (npm start, the soak): PostgreSQL when PCF_EDGE_DATABASE_URL is set (the URL
 * stays in the environment, which every cloud-sink child process inherits), else a SQLite file in the data folder.
 * `args` and `env` are what a `cloud-sink` child process needs to find it.
 */
export interface CloudStore {
  location: StoreLocation;
  args: string[];
  env: Record<string, string>;
  description: string;
}

export function cloudStore(dataDir: string, schema?: string): CloudStore {
  const base = storeLocation({}, process.env);
  if (base.kind === 'sqlite') {
    const location: StoreLocation = { kind: 'sqlite', file: join(dataDir, 'cloud-sink.sqlite') };
    return { location, args: ['--db', location.file], env: {}, description: describeStore(location) };
  }
  const location: StoreLocation = { ...base, schema: schema ?? base.schema };
  return { location, args: [], env: { [DATABASE_SCHEMA_ENV]: location.schema }, description: describeStore(location) };
}

/** The tables cloud-sink's migrations create (dropped by `resetCloudStore`). */
const TABLES = [
  'pact_event_deliveries',
  'pact_events_received',
  'gateway_keys',
  'api_grants',
  'api_clients',
  'footprints',
  'audit_records',
  'pcf_results',
  'reference_entities',
  'reference_versions',
  'shard_checkpoints',
  'dead_letters',
  'rollups',
  'schema_migrations',
];

/** Empties the store for a fresh start: the SQLite file goes, a PostgreSQL schema loses cloud-sink's tables. */
export async function resetCloudStore(store: CloudStore): Promise<void> {
  const loc = store.location;
  if (loc.kind === 'sqlite') {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${loc.file}${suffix}`, { force: true });
    return;
  }
  const c = new Client({ connectionString: loc.url });
  await c.connect();
  try {
    for (const t of TABLES) await c.query(`DROP TABLE IF EXISTS ${loc.schema}.${t}`);
  } finally {
    await c.end();
  }
}

/** Drops a PostgreSQL schema made for one run (the soak's); nothing for SQLite. */
export async function dropCloudSchema(store: CloudStore): Promise<void> {
  const loc = store.location;
  if (loc.kind !== 'postgres') return;
  const c = new Client({ connectionString: loc.url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${loc.schema} CASCADE`);
  } finally {
    await c.end();
  }
}
