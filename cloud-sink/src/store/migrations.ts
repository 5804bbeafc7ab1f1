import { PcfError } from '@pcf-edge/core';
import { fromMicro, MAX_MICRO, toMicro } from '@pcf-edge/pcf-engine';

/**
 * Schema migrations, applied in order and recorded in `schema_migrations`, each in one transaction. The DDL uses only
 * types and clauses that PostgreSQL accepts too (TEXT, INTEGER, BIGINT, DOUBLE PRECISION, composite primary keys);
 * the one dialect difference, the audit record's generated id, is `Dialect.autoId`. A step that must compute in
 * JavaScript (the same code as ingest) is a named data step each store implements. Applied migrations are never
 * rewritten: a change is a new migration at the end.
 */
export interface Dialect {
  /** The column type of a generated integer primary key. */
  autoId: string;
  /**
   * Statements creating the triggers that copy a `rollups` row into `rollup_revisions` when it is updated or deleted:
   * the row a higher revision replaces is kept, and so is the original of any other change (for `audit verify`).
   */
  keepOldRollups: string[];
}

/** The columns of a kept revision (migration 8), in the order of `rollup_revisions`. */
export const HISTORY_COLUMNS = `id, revision, type, site, line, window_start_ms, window_ms, electricity_ukwh, gas_um3, gas_ukwh,
  gas_cv_basis, baseload_ukwh, units_good, units_scrap, coverage, estimated, doc, received_at_ms`;

/** Every column of a kept revision. */
export const KEPT_COLUMNS = HISTORY_COLUMNS.split(',').map((c) => c.trim());

/** Appends the old row of `rollups` to the history; a revision already kept there stays as it is (migration 270). */
const KEEP_OLD_ROLLUP = `INSERT INTO rollup_revisions (${HISTORY_COLUMNS})
    VALUES (${KEPT_COLUMNS.map((c) => `OLD.${c}`).join(', ')}) ON CONFLICT (id, revision) DO NOTHING;`;

export const SQLITE: Dialect = {
  autoId: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  keepOldRollups: ['UPDATE', 'DELETE'].map(
    (on) => `CREATE TRIGGER rollups_keep_${on.toLowerCase()}d AFTER ${on} ON rollups BEGIN ${KEEP_OLD_ROLLUP} END`,
  ),
};
export const POSTGRES: Dialect = {
  autoId: 'BIGSERIAL PRIMARY KEY',
  keepOldRollups: [
    `CREATE FUNCTION rollups_keep_old() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${KEEP_OLD_ROLLUP} RETURN NULL; END $$`,
    'CREATE TRIGGER rollups_keep_old AFTER UPDATE OR DELETE ON rollups FOR EACH ROW EXECUTE FUNCTION rollups_keep_old()',
  ],
};

/**
 * `rollups-to-micro-units`: fills electricity_ukwh, gas_um3, gas_ukwh and baseload_ukwh of every rollup from the
 * DOUBLE columns they replace, with the ingest's decoding (`toMicro`); a value that does not fit stops the migration
 * naming the rollup and the column. `chain-published-records`: chains every footprint version (in publishing order,
 * setting `chain_seq`) and every recomputation (by id) as `store/record-chain.ts` does on append (ADR 0236).
 */
export type DataStep = { data: 'rollups-to-micro-units' } | { data: 'chain-published-records' };
export type MigrationStep = string | DataStep;

export interface Migration {
  version: number;
  name: string;
  statements: (d: Dialect) => MigrationStep[];
}

/** The columns migration 7 converts: [DOUBLE column (kWh, m³), integer column (micro-units)]. */
export const MICRO_COLUMNS: [string, string][] = [
  ['electricity_kwh', 'electricity_ukwh'],
  ['gas_m3', 'gas_um3'],
  ['gas_kwh', 'gas_ukwh'],
  ['baseload_kwh', 'baseload_ukwh'],
];

/** last_error of the Published events migration 235 moved from `outbound_events` without a recipient. */
export const UNADDRESSED =
  'recorded before Published events were delivered (ADR 0232): no recipient was resolved; kept as history by migration 235';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'rollups, dead letters, checkpoints',
    statements: () => [
      `CREATE TABLE rollups (
        id TEXT PRIMARY KEY, revision INTEGER NOT NULL, type TEXT NOT NULL, site TEXT NOT NULL, line TEXT,
        window_start_ms BIGINT NOT NULL, window_ms INTEGER NOT NULL,
        electricity_kwh DOUBLE PRECISION, gas_m3 DOUBLE PRECISION, gas_kwh DOUBLE PRECISION, gas_cv_basis TEXT,
        baseload_kwh DOUBLE PRECISION, units_good DOUBLE PRECISION, units_scrap DOUBLE PRECISION,
        coverage DOUBLE PRECISION NOT NULL, estimated INTEGER NOT NULL, doc TEXT NOT NULL, received_at_ms BIGINT NOT NULL)`,
      `CREATE INDEX rollups_line_window ON rollups (type, line, window_start_ms)`,
      `CREATE INDEX rollups_site_window ON rollups (type, site, window_start_ms)`,
      `CREATE TABLE dead_letters (source TEXT NOT NULL, reason TEXT NOT NULL, payload TEXT NOT NULL, received_at_ms BIGINT NOT NULL)`,
      `CREATE TABLE shard_checkpoints (stream TEXT NOT NULL, shard_id TEXT NOT NULL, sequence_number TEXT NOT NULL,
        updated_at_ms BIGINT NOT NULL, PRIMARY KEY (stream, shard_id))`,
    ],
  },
  {
    version: 2,
    name: 'versioned reference data',
    statements: () => [
      `CREATE TABLE reference_versions (version INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL,
        sha256 TEXT NOT NULL, row_count INTEGER NOT NULL, imported_at_ms BIGINT NOT NULL)`,
      `CREATE TABLE reference_entities (kind TEXT NOT NULL, entity_id TEXT NOT NULL, version INTEGER NOT NULL,
        hash TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, entity_id, version))`,
    ],
  },
  {
    version: 3,
    name: 'results and audit chain',
    statements: ({ autoId }) => [
      `CREATE TABLE pcf_results (id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,
        period_start TEXT NOT NULL, period_end TEXT NOT NULL, method TEXT NOT NULL, gwp_set TEXT NOT NULL,
        result TEXT NOT NULL, created_at_ms BIGINT NOT NULL)`,
      `CREATE INDEX pcf_results_subject ON pcf_results (kind, subject, period_start)`,
      `CREATE TABLE audit_records (id ${autoId}, result_id TEXT NOT NULL, body TEXT NOT NULL, prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL, created_at_ms BIGINT NOT NULL)`,
      `CREATE UNIQUE INDEX audit_records_result ON audit_records (result_id)`,
    ],
  },
  {
    version: 4,
    name: 'published PACT footprints',
    statements: () => [
      `CREATE TABLE footprints (id TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL, product_id TEXT NOT NULL,
        period_start TEXT NOT NULL, period_end TEXT NOT NULL, method TEXT NOT NULL, gwp_set TEXT NOT NULL, result_id TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (id, version))`,
      `CREATE INDEX footprints_created ON footprints (created_at_ms, id)`,
    ],
  },
  {
    version: 5,
    name: 'covering indexes for period queries',
    // Every column the engine and the rollup fingerprint read is in the index, in (window_start_ms, id) order, so a
    // period query is one index range scan: no table lookup per row (rows of one line are scattered over the
    // table) and no sort. See docs/adr/0140.
    statements: () => [
      'DROP INDEX rollups_line_window',
      'DROP INDEX rollups_site_window',
      `CREATE INDEX rollups_line_period ON rollups (type, line, window_start_ms, id, revision, window_ms, site, electricity_kwh,
        gas_m3, gas_kwh, gas_cv_basis, baseload_kwh, units_good, units_scrap, coverage, estimated)`,
      `CREATE INDEX rollups_site_period ON rollups (type, site, window_start_ms, id, revision, window_ms, received_at_ms, line,
        electricity_kwh, gas_m3, gas_kwh, gas_cv_basis, baseload_kwh, units_good, units_scrap, coverage, estimated)`,
    ],
  },
  {
    version: 6,
    name: 'narrow site indexes',
    // A covering site index holds every line rollup too (a full copy per row, paid on every ingest). Instead: the
    // fingerprint's columns for all rows, and a covering index of the site rows alone (partial: queries for site
    // rollups name `type = 'site'` literally so the planner can use it). See docs/adr/0140.
    statements: () => [
      'DROP INDEX rollups_site_period',
      'CREATE INDEX rollups_site_fingerprint ON rollups (type, site, window_start_ms, window_ms, revision, received_at_ms)',
      `CREATE INDEX rollups_site_rows ON rollups (site, window_start_ms, id, revision, window_ms, type, line, electricity_kwh, gas_m3,
        gas_kwh, gas_cv_basis, baseload_kwh, units_good, units_scrap, coverage, estimated) WHERE type = 'site'`,
    ],
  },
  {
    version: 7,
    name: 'energy and volume as integer micro-units',
    // Exact, associative sums (ADR 0180): the engine reads integers of µkWh and µm³, summed by SQL where windows go
    // one way. The covering indexes are rebuilt over the integer columns.
    statements: () => [
      ...MICRO_COLUMNS.map(([, micro]) => `ALTER TABLE rollups ADD COLUMN ${micro} BIGINT`),
      { data: 'rollups-to-micro-units' },
      'DROP INDEX rollups_line_period',
      'DROP INDEX rollups_site_rows',
      ...MICRO_COLUMNS.map(([double]) => `ALTER TABLE rollups DROP COLUMN ${double}`),
      `CREATE INDEX rollups_line_period ON rollups (type, line, window_start_ms, id, revision, window_ms, site, electricity_ukwh,
        gas_um3, gas_ukwh, gas_cv_basis, baseload_ukwh, units_good, units_scrap, coverage, estimated)`,
      `CREATE INDEX rollups_site_rows ON rollups (site, window_start_ms, id, revision, window_ms, type, line, electricity_ukwh, gas_um3,
        gas_ukwh, gas_cv_basis, baseload_ukwh, units_good, units_scrap, coverage, estimated) WHERE type = 'site'`,
    ],
  },
  {
    version: 8,
    name: 'every rollup revision kept',
    // Rollups are append-only (ADR 0230): `rollup_revisions`, keyed (id, revision), keeps every revision as received
    // (its columns and its document) and is never updated; `rollups` is the current view, the highest revision of
    // each id, written in the same transaction. The document moves to the history; the current view keeps columns.
    // A rowid table, not WITHOUT ROWID: rows of ~450 bytes (the document) are appended in arrival order and only the
    // (id, revision) key index takes random inserts (SQLite advises WITHOUT ROWID for rows under ~1/20 of a page).
    statements: () => [
      `CREATE TABLE rollup_revisions (id TEXT NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL, site TEXT NOT NULL,
        line TEXT, window_start_ms BIGINT NOT NULL, window_ms INTEGER NOT NULL, electricity_ukwh BIGINT, gas_um3 BIGINT,
        gas_ukwh BIGINT, gas_cv_basis TEXT, baseload_ukwh BIGINT, units_good DOUBLE PRECISION, units_scrap DOUBLE PRECISION,
        coverage DOUBLE PRECISION NOT NULL, estimated INTEGER NOT NULL, doc TEXT NOT NULL, received_at_ms BIGINT NOT NULL,
        PRIMARY KEY (id, revision))`,
      `INSERT INTO rollup_revisions (${HISTORY_COLUMNS}) SELECT ${HISTORY_COLUMNS} FROM rollups`,
      'ALTER TABLE rollups DROP COLUMN doc',
    ],
  },
  {
    version: 9,
    name: 'recomputations and outbound events',
    // A recomputation of a stale result (ADR 0232): republished as a successor result, or kept current with a note.
    // Outbound events (PACT `Published`) wait here for delivery (the security issue delivers them).
    statements: ({ autoId }) => [
      `CREATE TABLE result_recomputations (id ${autoId}, result_id TEXT NOT NULL, successor_id TEXT,
        rollups_sha256 TEXT NOT NULL, relative_change TEXT NOT NULL, threshold TEXT NOT NULL, note TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL)`,
      'CREATE INDEX result_recomputations_result ON result_recomputations (result_id, id)',
      `CREATE TABLE outbound_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, event TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL, delivered_at_ms BIGINT)`,
    ],
  },
  {
    // Numbered after the issue's ADR range (0190–0199) so migrations written in parallel never share a number.
    version: 190,
    name: 'security: API clients, grants, gateway keys, PACT event deliveries',
    statements: () => [
      `CREATE TABLE api_clients (client_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, scopes TEXT NOT NULL,
        disabled INTEGER NOT NULL, events TEXT, created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL)`,
      `CREATE TABLE api_grants (client_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL, PRIMARY KEY (client_id, kind, value))`,
      `CREATE TABLE gateway_keys (key_id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, public_key TEXT NOT NULL,
        sites TEXT NOT NULL, status TEXT NOT NULL, created_at_ms BIGINT NOT NULL, retired_at_ms BIGINT)`,
      `CREATE TABLE pact_events_received (client_id TEXT NOT NULL, event_id TEXT NOT NULL, source TEXT NOT NULL,
        type TEXT NOT NULL, body TEXT NOT NULL, received_at_ms BIGINT NOT NULL, PRIMARY KEY (client_id, event_id))`,
      `CREATE TABLE pact_event_deliveries (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, type TEXT NOT NULL, url TEXT NOT NULL,
        body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_ms BIGINT NOT NULL,
        lease_until_ms BIGINT NOT NULL, last_error TEXT, created_at_ms BIGINT NOT NULL, finished_at_ms BIGINT)`,
      'CREATE INDEX pact_event_deliveries_due ON pact_event_deliveries (status, next_attempt_ms)',
    ],
  },
  {
    // Numbered from ADR 0235. One PACT event queue: the Published events that migration 9's `outbound_events` recorded
    // (addressed to nobody: the delivery did not exist yet) move into the delivery queue as history — delivered ones
    // as delivered, the others as failed with the reason, never attempted — and the table goes.
    version: 235,
    name: 'one PACT event delivery queue (outbound_events merged into pact_event_deliveries)',
    statements: () => [
      `INSERT INTO pact_event_deliveries (id, client_id, type, url, body, status, attempts, next_attempt_ms, lease_until_ms,
        last_error, created_at_ms, finished_at_ms)
       SELECT id, '', type, '', event, CASE WHEN delivered_at_ms IS NULL THEN 'failed' ELSE 'delivered' END, 0,
        created_at_ms, 0, CASE WHEN delivered_at_ms IS NULL THEN '${UNADDRESSED}' END, created_at_ms,
        COALESCE(delivered_at_ms, created_at_ms)
       FROM outbound_events`,
      'DROP TABLE outbound_events',
    ],
  },
  {
    // Numbered from ADR 0236: what was published and recomputed is hash-chained, so `audit verify` finds an edit.
    version: 236,
    name: 'hash chains over footprint versions and recomputations',
    statements: () => [
      'ALTER TABLE footprints ADD COLUMN chain_seq BIGINT',
      'ALTER TABLE footprints ADD COLUMN prev_hash TEXT',
      'ALTER TABLE footprints ADD COLUMN hash TEXT',
      'ALTER TABLE result_recomputations ADD COLUMN prev_hash TEXT',
      'ALTER TABLE result_recomputations ADD COLUMN hash TEXT',
      { data: 'chain-published-records' },
      'CREATE UNIQUE INDEX footprints_chain ON footprints (chain_seq)',
    ],
  },
  {
    // Numbered from ADR 0270: the current view carries its document again and the history keeps the revisions it
    // replaced, so a first arrival is written once. The current revision's history row moves into the view (deleted
    // from the history only where it equals the view, column for column: a difference stays for `audit verify` to
    // report). From now on a trigger keeps the old row of every update or delete of the view.
    version: 270,
    name: 'history keeps the superseded revisions; the current view its document',
    statements: (d) => [
      'ALTER TABLE rollups ADD COLUMN doc TEXT',
      `UPDATE rollups SET doc = (SELECT h.doc FROM rollup_revisions h WHERE h.id = rollups.id AND h.revision = rollups.revision)`,
      `DELETE FROM rollup_revisions WHERE EXISTS (SELECT 1 FROM rollups c WHERE c.id = rollup_revisions.id
        AND ${KEPT_COLUMNS.map((col) => `c.${col} IS NOT DISTINCT FROM rollup_revisions.${col}`).join(' AND ')})`,
      ...d.keepOldRollups,
    ],
  },
];

/** The newest schema version this code knows (numbers are sparse: each area numbers its migrations in its range). */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

export interface AppliedMigration {
  version: number;
  name: string;
}

/**
 * ERR_STORE when a store has applied a migration this code does not know (an older cloud-sink must not write to it),
 * or, unless `migrating`, lacks one it knows (run `cloud-sink migrate` first). Compared as sets, not by the highest
 * number: migrations numbered in parallel ranges may be added below an applied one.
 */
export function checkSchemaVersion(done: Iterable<number>, store: string, migrating = false): void {
  const applied = new Set(done);
  const known = new Set(MIGRATIONS.map((m) => m.version));
  const unknown = [...applied].filter((v) => !known.has(v)).sort((x, y) => x - y);
  if (unknown.length > 0)
    throw new PcfError(
      'ERR_STORE',
      `${store} has schema migrations this cloud-sink does not know (${unknown.join(', ')}; newest known ${SCHEMA_VERSION}): upgrade cloud-sink`,
      { unknown, known: SCHEMA_VERSION },
    );
  const pending = MIGRATIONS.filter((m) => !applied.has(m.version)).map((m) => m.version);
  if (!migrating && pending.length > 0)
    throw new PcfError(
      'ERR_STORE',
      `${store} lacks schema migrations ${pending.join(', ')} that this cloud-sink needs: run \`cloud-sink migrate\` first`,
      { pending, needed: SCHEMA_VERSION },
    );
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The integer columns of one rollup row for `rollups-to-micro-units`: each DOUBLE value decoded as ingest decodes it.
 * ERR_STORE naming the rollup and column when a value does not fit (nothing is then migrated).
 */
export function microColumns(row: Record<string, unknown>): (number | null)[] {
  return MICRO_COLUMNS.map(([double]) => {
    const v = row[double];
    if (v === null || v === undefined) return null;
    const micro = toMicro(Number(v));
    if (micro === undefined)
      throw new PcfError(
        'ERR_STORE',
        `migration 7: rollup ${String(row.id)} ${double} = ${String(v)} does not fit integer micro-units (0 to ${fromMicro(MAX_MICRO).toString()})`,
        { rollup: row.id, column: double },
      );
    return micro;
  });
}
