import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { MIGRATIONS, POSTGRES, SQLITE } from '../src/store/migrations';

/** The tables of testcases/legacy-audit-v1 (a database written by cloud-sink at cc21e43), row by row. */
export interface LegacyFixture {
  tables: Record<string, Record<string, unknown>[]>;
}

export function readLegacyFixture(): LegacyFixture {
  const file = join(__dirname, 'testcases/legacy-audit-v1/db.json.gz');
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as LegacyFixture;
}

/** The migrations the fixture's database had applied (1–6), as that version ran them. */
const appliedBy = (f: LegacyFixture) =>
  MIGRATIONS.filter((m) => f.tables.schema_migrations!.some((r) => Number(r.version) === m.version));

const insertSql = (table: string, cols: string[], placeholder: (i: number) => string) =>
  `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => placeholder(i)).join(', ')})`;

/** Writes the fixture into a new SQLite file: its schema, then every row. */
export function writeLegacySqlite(file: string, f: LegacyFixture): void {
  const db = new Database(file);
  try {
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)',
    );
    for (const m of appliedBy(f)) for (const s of m.statements(SQLITE)) db.exec(s as string);
    db.transaction(() => {
      for (const [table, rows] of Object.entries(f.tables)) {
        for (const row of rows) {
          const cols = Object.keys(row);
          db.prepare(insertSql(table, cols, () => '?')).run(...cols.map((c) => row[c]));
        }
      }
    })();
  } finally {
    db.close();
  }
}

/** Writes the fixture into `schema` (created) of a PostgreSQL database: its schema, then every row. */
export async function writeLegacyPostgres(url: string, schema: string, f: LegacyFixture): Promise<void> {
  const c = new Client({ connectionString: url, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.query('BEGIN');
    await c.query(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)',
    );
    for (const m of appliedBy(f)) for (const s of m.statements(POSTGRES)) await c.query(s as string);
    for (const [table, rows] of Object.entries(f.tables)) {
      for (const row of rows) {
        const cols = Object.keys(row);
        await c.query(
          insertSql(table, cols, (i) => `$${i + 1}`),
          cols.map((k) => row[k]),
        );
      }
    }
    // the audit id sequence continues after the fixture's records
    await c.query(`SELECT setval(pg_get_serial_sequence('audit_records', 'id'), (SELECT max(id) FROM audit_records))`);
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
}
