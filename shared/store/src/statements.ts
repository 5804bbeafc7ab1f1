import type { Database, Statement } from 'better-sqlite3';

/** A per-connection cache of prepared statements keyed by SQL text. */
export class StatementCache {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly db: Database) {}
  get(sql: string): Statement {
    let s = this.cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
}
