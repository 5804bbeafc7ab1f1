import { existsSync } from 'node:fs';
import type { Database } from 'better-sqlite3';

/**
 * Fault injection for soak runs: when env `PCF_EDGE_STORE_FULL_FLAG` names a file, every write first checks (at
 * most every CHECK_MS) whether that file exists. While it does, the connection's `max_page_count` is lowered to
 * the database's current page count, so any write that needs a new page fails with a real SQLITE_FULL (mapped to
 * ERR_STORE_FULL) — the store behaves as on a gateway whose disk is full. When the file is removed, the previous
 * limit is restored. Without the variable nothing is checked.
 */
export const STORE_FULL_FLAG_ENV = 'PCF_EDGE_STORE_FULL_FLAG';
const CHECK_MS = 100;

export function createSizeCap(db: Database, env: NodeJS.ProcessEnv = process.env): () => void {
  const flag = env[STORE_FULL_FLAG_ENV];
  if (!flag) return () => undefined;
  let checkedAt = -Infinity;
  let normalMax: number | null = null;
  return () => {
    const now = Date.now();
    if (now - checkedAt < CHECK_MS) return;
    checkedAt = now;
    const full = existsSync(flag);
    if (full && normalMax === null) {
      normalMax = db.pragma('max_page_count', { simple: true }) as number;
      db.pragma('max_page_count = 1'); // SQLite clamps this to the current page count
    } else if (!full && normalMax !== null) {
      db.pragma(`max_page_count = ${normalMax}`);
      normalMax = null;
    }
  };
}
