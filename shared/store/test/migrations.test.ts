import Database from 'better-sqlite3';
import { MIGRATIONS, openStore } from '@pcf-edge/store';
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
      'readings',
      'rollups',
      'schema_migrations',
      'site_claims',
      'site_sources',
      'state',
    ]);
    a.close();
    b.close();
  });

  test('a migration that fails rolls back completely', () => {
    const db = new Database(tmp.file());
    db.exec('CREATE TABLE readings (x)'); // collides with migration 1
    expect(() => migrate(db, 0)).toThrow(/already exists/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").get()).toBeUndefined();
    db.close();
  });
});
