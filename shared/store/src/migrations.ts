import type { Database } from 'better-sqlite3';
import { PcfError } from '@pcf-edge/core';

/**
 * Versioned schema. A migration is applied once, in order, inside one IMMEDIATE transaction together with its
 * `schema_migrations` row, so two processes opening a fresh file at once serialise on the write lock and the
 * second sees the first's work. Never edit a shipped migration; append a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE readings (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  site TEXT NOT NULL,
  line TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  point TEXT NOT NULL,
  quantity TEXT NOT NULL,
  kind TEXT NOT NULL,
  value REAL NULL,
  unit TEXT NOT NULL,
  source_ts INTEGER NULL,
  read_ts INTEGER NOT NULL,
  quality TEXT NOT NULL CHECK (quality IN ('good', 'uncertain', 'bad')),
  quality_reason TEXT NULL,
  meter_serial TEXT NULL
);
CREATE TRIGGER readings_append_only BEFORE UPDATE ON readings
BEGIN SELECT RAISE(ABORT, 'readings are append-only'); END;

CREATE TABLE meter_health (
  meter_id TEXT PRIMARY KEY,
  site TEXT NOT NULL,
  line TEXT NOT NULL,
  collector TEXT NOT NULL,
  state TEXT NOT NULL,
  last_good_ts INTEGER NULL,
  last_read_ts INTEGER NULL,
  consecutive_failures INTEGER NOT NULL,
  last_error TEXT NULL,
  updated_ts INTEGER NOT NULL
);

CREATE TABLE state (
  owner TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (owner, key)
) WITHOUT ROWID;

CREATE TABLE counter_anchors (
  meter_id TEXT NOT NULL,
  point TEXT NOT NULL,
  value REAL NOT NULL,
  ts INTEGER NOT NULL,
  meter_serial TEXT NULL,
  state_json TEXT NOT NULL,
  PRIMARY KEY (meter_id, point)
) WITHOUT ROWID;

CREATE TABLE counter_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  site TEXT NOT NULL,
  line TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  point TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail_json TEXT NOT NULL
);
CREATE INDEX counter_events_ts ON counter_events (ts);

CREATE TABLE rollups (
  id TEXT PRIMARY KEY,
  revision INTEGER NOT NULL,
  type TEXT NOT NULL,
  site TEXT NOT NULL,
  line TEXT NULL,
  meter_id TEXT NULL,
  point TEXT NULL,
  window_ms INTEGER NOT NULL,
  window_start_ms INTEGER NOT NULL,
  body TEXT NOT NULL,
  updated_ts INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rollups_window ON rollups (window_start_ms, type);
CREATE INDEX rollups_line ON rollups (line, window_start_ms);
CREATE INDEX rollups_meter ON rollups (meter_id, window_start_ms);

CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  rollup_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  window_start_ms INTEGER NOT NULL,
  enqueued_ts INTEGER NOT NULL,
  sent_ts INTEGER NULL,
  sequence_number TEXT NULL
);
CREATE INDEX outbox_unsent_window ON outbox (window_start_ms) WHERE sent_ts IS NULL;
CREATE INDEX outbox_unsent_seq ON outbox (seq) WHERE sent_ts IS NULL;
CREATE INDEX outbox_sent_ts ON outbox (sent_ts) WHERE sent_ts IS NOT NULL;
`,
  },
  {
    version: 2,
    name: 'site model',
    sql: `
CREATE TABLE site_claims (
  component TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  field TEXT NOT NULL,
  value_json TEXT NOT NULL,
  strength TEXT NOT NULL CHECK (strength IN ('given', 'default')),
  place TEXT NOT NULL,
  PRIMARY KEY (component, meter_id, field)
) WITHOUT ROWID;

CREATE TABLE site_sources (
  component TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  generation INTEGER NOT NULL,
  published_ts INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    // ADR 0268: a reading's descriptive columns (site, line, meter, point, quantity, kind, unit, serial) are the same
    // for every reading of a series; they move to reading_series, and a reading row keeps only the series id, its
    // value, times and quality (as 0/1/2). `readings` becomes a view with the old columns, so every reader keeps
    // its SQL; an INSTEAD OF trigger keeps a plain INSERT INTO readings working (the store itself inserts into
    // reading_values). Existing readings are copied with their seq, and seq keeps counting from where it was.
    version: 3,
    name: 'compact readings',
    sql: `
CREATE TABLE reading_series (
  id INTEGER PRIMARY KEY,
  site TEXT NOT NULL,
  line TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  point TEXT NOT NULL,
  quantity TEXT NOT NULL,
  kind TEXT NOT NULL,
  unit TEXT NOT NULL,
  meter_serial TEXT NULL
);
CREATE INDEX reading_series_point ON reading_series (meter_id, point);

CREATE TABLE reading_values (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  series INTEGER NOT NULL,
  value REAL NULL,
  source_ts INTEGER NULL,
  read_ts INTEGER NOT NULL,
  quality INTEGER NOT NULL CHECK (quality IN (0, 1, 2)),
  quality_reason TEXT NULL
);
CREATE TRIGGER reading_values_append_only BEFORE UPDATE ON reading_values
BEGIN SELECT RAISE(ABORT, 'readings are append-only'); END;

INSERT INTO reading_series (site, line, meter_id, point, quantity, kind, unit, meter_serial)
  SELECT site, line, meter_id, point, quantity, kind, unit, meter_serial FROM readings
  GROUP BY site, line, meter_id, point, quantity, kind, unit, meter_serial ORDER BY MIN(seq);
INSERT INTO reading_values (seq, series, value, source_ts, read_ts, quality, quality_reason)
  SELECT r.seq, s.id, r.value, r.source_ts, r.read_ts,
    CASE r.quality WHEN 'good' THEN 0 WHEN 'uncertain' THEN 1 ELSE 2 END, r.quality_reason
  FROM readings r JOIN reading_series s ON s.meter_id = r.meter_id AND s.point = r.point AND s.site = r.site
    AND s.line = r.line AND s.quantity = r.quantity AND s.kind = r.kind AND s.unit = r.unit
    AND s.meter_serial IS r.meter_serial
  ORDER BY r.seq;
DELETE FROM sqlite_sequence WHERE name = 'reading_values';
INSERT INTO sqlite_sequence (name, seq) SELECT 'reading_values', seq FROM sqlite_sequence WHERE name = 'readings';
DROP TABLE readings;

CREATE VIEW readings (seq, site, line, meter_id, point, quantity, kind, value, unit, source_ts, read_ts, quality,
  quality_reason, meter_serial) AS
SELECT v.seq, s.site, s.line, s.meter_id, s.point, s.quantity, s.kind, v.value, s.unit, v.source_ts, v.read_ts,
  CASE v.quality WHEN 0 THEN 'good' WHEN 1 THEN 'uncertain' ELSE 'bad' END, v.quality_reason, s.meter_serial
FROM reading_values v CROSS JOIN reading_series s ON s.id = v.series;

CREATE TRIGGER readings_insert INSTEAD OF INSERT ON readings
BEGIN
  INSERT INTO reading_series (site, line, meter_id, point, quantity, kind, unit, meter_serial)
    SELECT NEW.site, NEW.line, NEW.meter_id, NEW.point, NEW.quantity, NEW.kind, NEW.unit, NEW.meter_serial
    WHERE NOT EXISTS (SELECT 1 FROM reading_series WHERE meter_id = NEW.meter_id AND point = NEW.point
      AND site = NEW.site AND line = NEW.line AND quantity = NEW.quantity AND kind = NEW.kind AND unit = NEW.unit
      AND meter_serial IS NEW.meter_serial);
  INSERT INTO reading_values (series, value, source_ts, read_ts, quality, quality_reason)
  VALUES (
    (SELECT id FROM reading_series WHERE meter_id = NEW.meter_id AND point = NEW.point AND site = NEW.site
      AND line = NEW.line AND quantity = NEW.quantity AND kind = NEW.kind AND unit = NEW.unit
      AND meter_serial IS NEW.meter_serial),
    NEW.value, NEW.source_ts, NEW.read_ts,
    CASE NEW.quality WHEN 'good' THEN 0 WHEN 'uncertain' THEN 1 WHEN 'bad' THEN 2 ELSE -1 END, NEW.quality_reason);
END;
CREATE TRIGGER readings_append_only INSTEAD OF UPDATE ON readings
BEGIN SELECT RAISE(ABORT, 'readings are append-only'); END;
CREATE TRIGGER readings_delete INSTEAD OF DELETE ON readings
BEGIN DELETE FROM reading_values WHERE seq = OLD.seq; END;
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts INTEGER NOT NULL)`;

/** Highest applied version, 0 when the file has no schema_migrations table (never migrated). */
export function currentVersion(db: Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies every pending migration; idempotent. Returns the versions applied by this call. */
export function migrate(db: Database, nowTs: number): number[] {
  const applied: number[] = [];
  db.transaction(() => {
    db.exec(CREATE_MIGRATIONS_TABLE);
    const have = currentVersion(db);
    if (have > SCHEMA_VERSION) {
      throw new PcfError(
        'ERR_STORE',
        `gateway store schema version ${have} is newer than this software knows (${SCHEMA_VERSION}); upgrade pcf-edge`,
        { have, known: SCHEMA_VERSION },
      );
    }
    const insert = db.prepare('INSERT INTO schema_migrations (version, name, applied_ts) VALUES (?, ?, ?)');
    for (const m of MIGRATIONS) {
      if (m.version <= have) continue;
      db.exec(m.sql);
      insert.run(m.version, m.name, nowTs);
      applied.push(m.version);
    }
  }).immediate();
  return applied;
}

/** For read-only opens: the file must already carry the full schema. */
export function assertMigrated(db: Database, path: string): void {
  const have = currentVersion(db);
  if (have < SCHEMA_VERSION) {
    throw new PcfError(
      'ERR_STORE',
      `gateway store ${path} has not been migrated (schema version ${have}, need ${SCHEMA_VERSION}); open it once read-write (start a collector or the aggregator) first`,
      { path, have, need: SCHEMA_VERSION },
    );
  }
}
