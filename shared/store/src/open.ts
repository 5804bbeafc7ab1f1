import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { PcfError } from '@pcf-edge/core';
import { toStoreError } from './errors';
import { assertMigrated, migrate } from './migrations';

export interface OpenOptions {
  readonly?: boolean;
  /** How long a statement waits for another process's lock before failing (SQLite busy_timeout). Default 10000. */
  busyTimeoutMs?: number;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED')
  );
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `fn`, retrying on SQLITE_BUSY for up to `timeoutMs`. Only for the open-time pragmas: switching the
 * journal mode of a fresh file can report BUSY without consulting the busy handler when processes race.
 */
function retryBusy<T>(fn: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
      sleepSync(5 + Math.random() * 20);
    }
  }
}

/**
 * Opens the SQLite file with the connection settings every process must share. Read-write opens create the file,
 * set `auto_vacuum=INCREMENTAL` (effective only before the first table exists, so it comes first), switch to WAL,
 * `synchronous=NORMAL` (durable at checkpoint; a power cut may lose the last transactions but never corrupts), and
 * apply pending migrations. Read-only opens require an existing, fully migrated file.
 */
export function openDatabase(path: string, opts: OpenOptions): Database.Database {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
  let db: Database.Database | undefined;
  try {
    if (opts.readonly === true) {
      if (path !== ':memory:' && !existsSync(path)) {
        throw new PcfError(
          'ERR_STORE',
          `gateway store ${path} does not exist; open it once read-write (start a collector or the aggregator) first`,
          { path },
        );
      }
      db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      const ro = db;
      retryBusy(() => assertMigrated(ro, path), busyTimeoutMs);
      return db;
    }
    db = new Database(path, { timeout: busyTimeoutMs });
    const rw = db;
    rw.pragma(`busy_timeout = ${busyTimeoutMs}`);
    retryBusy(() => rw.pragma('auto_vacuum = INCREMENTAL'), busyTimeoutMs);
    const mode = retryBusy(() => rw.pragma('journal_mode = WAL', { simple: true }), busyTimeoutMs);
    if (mode !== 'wal' && path !== ':memory:') {
      throw new PcfError(
        'ERR_STORE',
        `gateway store ${path} could not switch to WAL (journal_mode is ${String(mode)})`,
        { path },
      );
    }
    rw.pragma('synchronous = NORMAL');
    rw.pragma('journal_size_limit = 67108864'); // truncate the WAL file back to <= 64 MiB after checkpoints
    rw.pragma('foreign_keys = ON');
    retryBusy(() => migrate(rw, Date.now()), busyTimeoutMs);
    return rw;
  } catch (err) {
    db?.close();
    throw toStoreError(err, 'open', path);
  }
}
