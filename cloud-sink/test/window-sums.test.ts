import Database from 'better-sqlite3';
import fc from 'fast-check';
import { millionths } from '@pcf-edge/pcf-engine';
import { shortSql, unitsSql } from '../src/store/window-sums';

/**
 * The aggregated read trusts SQLite to decide which values are short and to give their integer millionths exactly as
 * `millionths` does (the row path's test). Held here against each other, value by value, through a real SQLite
 * column computed by the SQL the window sums use.
 */
describe('shortSql / unitsSql (window sums) equal millionths (engine)', () => {
  const db = new Database(':memory:');
  const v = 'coalesce(v, 0)';
  db.exec(
    `CREATE TABLE t (v DOUBLE PRECISION, u INTEGER GENERATED ALWAYS AS (CASE WHEN ${shortSql(v)} THEN ${unitsSql(v)} END) VIRTUAL)`,
  );
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  const read = db.prepare('SELECT v, u FROM t WHERE rowid = ?');
  /** The generated column, and `millionths` of the value as the row path reads it back (-0 reads as 0). */
  const both = (v: number | null) => {
    const row = read.get(ins.run(v).lastInsertRowid) as { v: number | null; u: number | null };
    return { sql: row.u, js: millionths(row.v ?? 0) ?? null };
  };
  const sqlOf = (v: number | null) => both(v).sql;
  afterAll(() => db.close());

  const short = fc
    .tuple(
      fc.integer({ min: -2_147_483_647, max: 2_147_483_647 }),
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 0, max: 999_999 }),
    )
    .map(([i, d, f]) => i + Number((f / 1e6).toFixed(d)));
  const any = fc.oneof(
    short,
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -3e9, max: 3e9 }),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1, max: 1 }),
    fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 1e6 + 0.5e-6), // ties in the 7th decimal
    fc.constantFrom(
      0,
      -0,
      0.1 + 0.2,
      2 ** 31,
      2 ** 31 - 1e-6,
      -(2 ** 31),
      1.2345678,
      0.20470000000000002,
      4503599627.370495,
      1e-7,
      5e-7,
    ),
  );

  it('gives the same integer (or none) for every value', () => {
    fc.assert(
      fc.property(any, (v) => {
        const { sql, js } = both(v);
        expect(sql).toBe(js);
      }),
      { numRuns: 20_000 },
    );
    expect(sqlOf(null)).toBe(0);
    expect(sqlOf(0.20470000000000002)).toBeNull();
    expect(sqlOf(0.2047)).toBe(204_700);
  });
});
