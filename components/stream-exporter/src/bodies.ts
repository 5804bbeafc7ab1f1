import type { Statement } from 'better-sqlite3';
import { PcfError } from '@pcf-edge/core';
import type { GatewayStore } from '@pcf-edge/store';
import type { PendingSource } from './pick';

/** An unsent outbox row with its rollup as stored now: revision and JSON bytes (null when the rollup is gone). */
export interface PendingRow {
  seq: number;
  rollupId: string;
  revision: number | null;
  body: Buffer | null;
}

const MMAP_BYTES = 256 * 1024 * 1024;
const PENDING_SQL = (order: 'ASC' | 'DESC'): string => `SELECT o.seq, o.rollup_id, r.revision, CAST(r.body AS BLOB)
FROM outbox o LEFT JOIN rollups r ON r.id = o.rollup_id
WHERE o.sent_ts IS NULL AND o.seq > ? AND o.seq < ? ORDER BY o.seq ${order} LIMIT ?`;

/**
 * `store.pendingOutbox` joined with the stored rollup JSON, as bytes, in one query (ADR 0130): the exporter only
 * splices the stored JSON into a message, so it skips the statement call, string decode and JSON.parse per rollup
 * of `store.getRollups`. Read-only, on the exporter's own connection, with a memory map for the random lookups of
 * rollups by id (SQLite reads past the map or without mmap support as usual).
 */
export function pendingReader(store: GatewayStore): PendingSource<PendingRow> {
  let statements: { ASC: Statement; DESC: Statement } | undefined;
  return {
    pendingOutbox(limit, opts = {}) {
      try {
        if (statements === undefined) {
          store.db.pragma(`mmap_size = ${MMAP_BYTES}`);
          statements = { ASC: store.db.prepare(PENDING_SQL('ASC')).raw(true), DESC: store.db.prepare(PENDING_SQL('DESC')).raw(true) };
        }
        const st = statements[opts.newestFirst === true ? 'DESC' : 'ASC'];
        const rows = st.all(opts.afterSeq ?? 0, opts.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as [number, string, number | null, Buffer | null][];
        return rows.map(([seq, rollupId, revision, body]) => ({ seq, rollupId, revision, body }));
      } catch (err) {
        throw new PcfError('ERR_STORE', `reading the outbox for export from ${store.path} failed: ${(err as Error).message}`, { path: store.path }, { cause: err });
      }
    },
  };
}

const MARK_SQL = 'UPDATE outbox SET sent_ts = ?, sequence_number = ? WHERE seq BETWEEN ? AND ? AND sent_ts IS NULL';
const markStatements = new WeakMap<GatewayStore, Statement>();

/**
 * `store.markOutboxSent` for many messages in one IMMEDIATE transaction, one UPDATE per run of consecutive seqs
 * (a message's rows are mostly consecutive) instead of one per row. Same rule: rows already sent keep their first
 * sequence number.
 */
export function markSentBatch(store: GatewayStore, marks: { seqs: number[]; sequenceNumber: string }[], nowTs: number): void {
  let st = markStatements.get(store);
  try {
    if (st === undefined) {
      st = store.db.prepare(MARK_SQL);
      markStatements.set(store, st);
    }
    const update = st;
    store.transaction(() => {
      for (const m of marks) {
        const seqs = [...m.seqs].sort((a, b) => a - b);
        let from = 0;
        for (let i = 1; i <= seqs.length; i++) {
          if (i < seqs.length && seqs[i] === seqs[i - 1]! + 1) continue;
          update.run(nowTs, m.sequenceNumber, seqs[from], seqs[i - 1]);
          from = i;
        }
      }
    });
  } catch (err) {
    throw new PcfError('ERR_STORE', `marking outbox rows sent in ${store.path} failed: ${(err as Error).message}`, { path: store.path }, { cause: err });
  }
}
