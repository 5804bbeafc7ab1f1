import Database from 'better-sqlite3';
import { INSERT_READING_SQL, MIGRATIONS, openStore, readingParams } from '@pcf-edge/store';
import { migrate } from '../src/migrations';
import { reading, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function schemaOf(db: Database.Database): unknown[] {
  return db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all();
}

describe('migrations', () => {
  test('running them twice (re-open and direct) gives the same schema and keeps data', () => {
    const path = tmp.file();
    const first = openStore(path);
    const schema1 = schemaOf(first.db);
    first.insertReadings([reading(1)]);
    first.close();

    const second = openStore(path);
    expect(schemaOf(second.db)).toEqual(schema1);
    expect(migrate(second.db, 0)).toEqual([]);
    expect(schemaOf(second.db)).toEqual(schema1);
    expect(second.readingsAfter(0, 10)).toHaveLength(1);
    expect(second.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    second.close();
  });

  test('a fresh file gets every table, and the same schema as another fresh file', () => {
    const a = openStore(tmp.file());
    const b = openStore(tmp.file());
    expect(schemaOf(a.db)).toEqual(schemaOf(b.db));
    const tables = (schemaOf(a.db) as { type: string; name: string }[])
      .filter((r) => r.type === 'table')
      .map((r) => r.name);
    expect(tables).toEqual([
      'counter_anchors',
      'counter_events',
      'meter_health',
      'outbox',
      'reading_series',
      'reading_values',
      'rollups',
      'schema_migrations',
      'site_claims',
      'site_sources',
      'state',
    ]);
    a.close();
    b.close();
  });

  test('readings written before the compact layout (schema 2) read back the same after it, and seq continues', () => {
    const path = tmp.file();
    const old = new Database(path);
    old.exec(
      `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts INTEGER NOT NULL)`,
    );
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    const insert = old.prepare(INSERT_READING_SQL);
    const written = Array.from({ length: 40 }, (_, i) =>
      reading(i, {
        ...(i % 5 === 0 ? { value: null, quality: 'bad' as const, qualityReason: `timeout ${i}` } : {}),
        ...(i % 4 === 1 ? { quality: 'uncertain' as const, sourceTs: 1_700_000_000_000 + i } : {}),
        ...(i % 3 === 0 ? { meterSerial: `SN-${i % 2}` } : {}),
        ...(i % 11 === 0 ? { unit: 'kW' as const } : {}),
      }),
    );
    for (const r of written) insert.run(readingParams(r));
    // pruned rows: seq must continue from the highest ever assigned, not from the highest left
    old.exec('DELETE FROM readings WHERE seq > 35');
    const before = old.prepare('SELECT * FROM readings ORDER BY seq').all();
    old.close();

    const store = openStore(path);
    expect(store.db.prepare('SELECT * FROM readings ORDER BY seq').all()).toEqual(before);
    expect(store.readingsAfter(0, 100).map(({ seq: _seq, ...r }) => r)).toEqual(written.slice(0, 35));
    expect(store.latestReadingSeq()).toBe(40);
    store.insertReadings([reading(100), reading(101, { meterSerial: 'SN-1' })]);
    expect(store.readingsAfter(35, 10).map((r) => [r.seq, r.readTs, r.meterSerial])).toEqual([
      [41, reading(100).readTs, undefined],
      [42, reading(101).readTs, 'SN-1'],
    ]);
    expect(store.readingRowsAfter(40, 10)).toEqual([
      [41, 'm2', 'energy', 1025, null, reading(100).readTs, 1, null],
      [42, 'm3', 'energy', 1025.25, null, reading(101).readTs, 1, 'SN-1'],
    ]);
    store.close();
  });

  test('a plain INSERT INTO readings files the reading under its series, as the store does', () => {
    const store = openStore(tmp.file());
    const rs = [
      reading(1),
      reading(2, { meterSerial: 'SN' }),
      reading(3, { quality: 'uncertain', qualityReason: 'x' }),
    ];
    store.insertReadings([rs[0]!]);
    const insert = store.db.prepare(INSERT_READING_SQL);
    for (const r of rs.slice(1)) insert.run(readingParams(r));
    store.insertReadings([reading(8), reading(9, { meterSerial: 'SN' })]); // same series as 1 and 2
    expect(store.readingsAfter(0, 10).map(({ seq: _seq, ...r }) => r)).toEqual([
      ...rs,
      reading(8),
      reading(9, { meterSerial: 'SN' }),
    ]);
    expect(store.db.prepare('SELECT COUNT(*) FROM reading_series').pluck().get()).toBe(3); // m1; m2 with SN; m3
    expect(() => insert.run(readingParams(reading(4, { quality: 'great' as never })))).toThrow(/CHECK constraint/);
    store.close();
  });

  test('a series created inside a transaction that rolls back is not remembered', () => {
    const store = openStore(tmp.file());
    expect(() =>
      store.transaction(() => {
        store.insertReadings([reading(1, { meterId: 'new' })]);
        throw new Error('abort');
      }),
    ).toThrow(/abort/);
    store.insertReadings([reading(2, { meterId: 'new' })]);
    expect(store.readingsAfter(0, 10).map((r) => [r.meterId, r.readTs])).toEqual([['new', reading(2).readTs]]);
    store.close();
  });

  test('a migration that fails rolls back completely', () => {
    const db = new Database(tmp.file());
    db.exec('CREATE TABLE readings (x)'); // collides with migration 1
    expect(() => migrate(db, 0)).toThrow(/already exists/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").get()).toBeUndefined();
    db.close();
  });
});
