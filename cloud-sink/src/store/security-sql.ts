import type { Statement } from 'better-sqlite3';
import { PcfError } from '@pcf-edge/core';
import type { StoreConnection } from './repository';

/**
 * The two statements the security store needs, on either database: `all` returns rows, `run` the number of rows
 * changed. SQL is written with `?` placeholders (never inside literals); PostgreSQL gets them as `$1…$n`. Every
 * statement is atomic on its own: the store needs no multi-statement transaction.
 */
export interface Sql {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<number>;
}

const storeError = (err: unknown, sql: string) =>
  new PcfError(
    'ERR_STORE',
    `security store query failed: ${(err as Error).message}`,
    { statement: sql.split(/\s+/).slice(0, 3).join(' ') },
    {
      cause: err,
    },
  );

function positional(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** An `Sql` on a repository's open connection (the same SQLite handle or PostgreSQL pool, no second connection). */
export function sqlOn(connection: StoreConnection): Sql {
  if (connection.kind === 'sqlite') {
    const { db } = connection;
    // better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans as 0/1
    type Bind = string | number | bigint | Buffer | null;
    const statements = new Map<string, Statement<Bind[]>>();
    const prepared = (sql: string) => {
      let s = statements.get(sql);
      if (!s) statements.set(sql, (s = db.prepare<Bind[]>(sql)));
      return s;
    };
    const params = (p: unknown[]) => p.map((v) => (typeof v === 'boolean' ? Number(v) : v)) as Bind[];
    return {
      all: <T>(sql: string, p: unknown[] = []) => {
        try {
          const s = prepared(sql);
          return Promise.resolve((s.reader ? s.all(...params(p)) : (s.run(...params(p)), [])) as T[]);
        } catch (err) {
          return Promise.reject(storeError(err, sql));
        }
      },
      run: (sql, p = []) => {
        try {
          return Promise.resolve(prepared(sql).run(...params(p)).changes);
        } catch (err) {
          return Promise.reject(storeError(err, sql));
        }
      },
    };
  }
  const { pool } = connection;
  return {
    all: async <T>(sql: string, p: unknown[] = []) => {
      try {
        return (await pool.query(positional(sql), p)).rows as T[];
      } catch (err) {
        throw storeError(err, sql);
      }
    },
    run: async (sql, p = []) => {
      try {
        return (await pool.query(positional(sql), p)).rowCount ?? 0;
      } catch (err) {
        throw storeError(err, sql);
      }
    },
  };
}
