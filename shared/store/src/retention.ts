import type { Database } from 'better-sqlite3';
import { PcfError } from '@pcf-edge/core';
import type { StatementCache } from './statements';

export interface PruneOptions {
  /** Delete eligible readings (and sent outbox rows) older than this, by read_ts / sent_ts. */
  maxAgeMs?: number;
  /** Delete the oldest eligible readings until the live database pages fit in this many bytes. */
  maxSizeBytes?: number;
  nowTs: number;
  /**
   * Highest reading seq the aggregator will never need again (its committed cursor, already reflected in
   * rollups and outbox rows written in the same transaction).
   */
  aggregatedThroughSeq: number;
}

export interface PruneResult {
  deletedReadings: number;
  deletedOutbox: number;
}

/** Rows deleted per write transaction, so a prune never holds the write lock for long. */
const AGE_CHUNK = 5000;
/** Smaller for size pruning: the size is re-checked after each chunk, so this bounds the overshoot. */
const SIZE_CHUNK = 500;

/**
 * A reading is eligible for deletion only when BOTH hold:
 *  - seq <= aggregatedThroughSeq (the aggregator has consumed it), and
 *  - read_ts < the window start of the oldest unsent outbox row (every rollup it fed has been exported).
 * Age pruning deletes eligible readings with read_ts < nowTs - maxAgeMs. Size pruning deletes the oldest eligible
 * readings (lowest seq first) until the in-use pages, (page_count - freelist_count) × page_size, fit maxSizeBytes.
 *
 * File size: deleting rows only moves pages to SQLite's freelist; the file does not shrink by itself. With
 * `auto_vacuum=INCREMENTAL` (set at creation, see open.ts) `PRAGMA incremental_vacuum` moves free pages to the end
 * and truncates — but in WAL mode that truncation is itself written to the WAL and reaches the main file only at
 * the next checkpoint, so the file on disk shrinks after the checkpoint below (or a later automatic one when
 * readers held the old snapshot).
 */
export function prune(db: Database, st: StatementCache, opts: PruneOptions): PruneResult {
  if (!Number.isFinite(opts.nowTs))
    throw new PcfError('ERR_USAGE', `prune: nowTs must be a finite epoch-ms number, got ${opts.nowTs}`);
  if (!Number.isInteger(opts.aggregatedThroughSeq))
    throw new PcfError('ERR_USAGE', `prune: aggregatedThroughSeq must be an integer, got ${opts.aggregatedThroughSeq}`);
  const floor = exportFloorTs(st);
  let deletedReadings = 0;
  let deletedOutbox = 0;
  if (opts.maxAgeMs !== undefined) {
    const cutoff = Math.min(floor, opts.nowTs - opts.maxAgeMs);
    deletedReadings += deleteEligible(db, st, opts.aggregatedThroughSeq, cutoff, AGE_CHUNK, () => true);
    deletedOutbox = db
      .transaction(
        () =>
          st.get('DELETE FROM outbox WHERE sent_ts IS NOT NULL AND sent_ts < ?').run(opts.nowTs - (opts.maxAgeMs ?? 0))
            .changes,
      )
      .immediate();
  }
  if (opts.maxSizeBytes !== undefined) {
    const max = opts.maxSizeBytes;
    deletedReadings += deleteEligible(db, st, opts.aggregatedThroughSeq, floor, SIZE_CHUNK, () => usedBytes(st) > max);
  }
  if (deletedReadings + deletedOutbox > 0) reclaim(db);
  return { deletedReadings, deletedOutbox };
}

/** Window start of the oldest unsent outbox row; +Infinity when everything has been sent. */
function exportFloorTs(st: StatementCache): number {
  const row = st.get('SELECT MIN(window_start_ms) AS m FROM outbox WHERE sent_ts IS NULL').get() as {
    m: number | null;
  };
  return row.m ?? Number.POSITIVE_INFINITY;
}

export function usedBytes(st: StatementCache): number {
  const pages = st
    .get('SELECT page_count - freelist_count AS p FROM pragma_page_count(), pragma_freelist_count()')
    .get() as { p: number };
  const size = st.get('SELECT page_size AS s FROM pragma_page_size()').get() as { s: number };
  return pages.p * size.s;
}

/** Deletes eligible readings in seq order, chunk by chunk, while `more()` says so. Returns the count deleted. */
function deleteEligible(
  db: Database,
  st: StatementCache,
  throughSeq: number,
  beforeTs: number,
  chunk: number,
  more: () => boolean,
): number {
  const ts = Number.isFinite(beforeTs) ? beforeTs : Number.MAX_SAFE_INTEGER;
  const findEnd = st.get(
    'SELECT MAX(seq) AS m FROM (SELECT seq FROM reading_values WHERE seq > ? AND seq <= ? AND read_ts < ? ORDER BY seq LIMIT ?)',
  );
  const del = st.get('DELETE FROM reading_values WHERE seq > ? AND seq <= ? AND read_ts < ?');
  let lo = 0;
  let total = 0;
  while (more()) {
    const n = db
      .transaction(() => {
        const end = (findEnd.get(lo, throughSeq, ts, chunk) as { m: number | null }).m;
        if (end === null) return -1;
        const changes = del.run(lo, end, ts).changes;
        lo = end;
        return changes;
      })
      .immediate();
    if (n < 0) break;
    total += n;
  }
  return total;
}

function reclaim(db: Database): void {
  db.pragma('incremental_vacuum');
  db.pragma('wal_checkpoint(TRUNCATE)');
}
