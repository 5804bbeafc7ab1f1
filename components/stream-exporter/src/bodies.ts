import type { Statement } from 'better-sqlite3';
import { PcfError } from '@pcf-edge/core';
import type { GatewayStore } from '@pcf-edge/store';

/** A rollup as stored: its revision and its JSON text (UTF-8 bytes) exactly as the store keeps it. */
export interface StoredBody {
  revision: number;
  body: Buffer;
}

const SQL = 'SELECT id, revision, CAST(body AS BLOB) AS body FROM rollups WHERE id IN (SELECT value FROM json_each(?))';
const statements = new WeakMap<GatewayStore, Statement>();
const MMAP_BYTES = 256 * 1024 * 1024;

/**
 * The stored JSON of the given rollup ids in one query, as bytes (ADR 0130). `store.getRollups` costs a statement
 * call, a string decode and a JSON.parse per id; the exporter only splices the stored JSON into a message, so it
 * reads the bytes directly (several times cheaper per rollup). Read-only; ids not in the store are absent.
 */
export function storedBodies(store: GatewayStore, ids: string[]): Map<string, StoredBody> {
  let st = statements.get(store);
  try {
    if (st === undefined) {
      // Random lookups by id over a large rollups table: read pages through a memory map (no read() call and copy
      // per page). Per-connection setting; SQLite falls back to reads beyond the map or where mmap is unsupported.
      store.db.pragma(`mmap_size = ${MMAP_BYTES}`);
      st = store.db.prepare(SQL);
      statements.set(store, st);
    }
    const rows = st.all(JSON.stringify(ids)) as { id: string; revision: number | bigint; body: Buffer }[];
    return new Map(rows.map((r) => [r.id, { revision: Number(r.revision), body: r.body }]));
  } catch (err) {
    throw new PcfError('ERR_STORE', `reading rollups for export from ${store.path} failed: ${(err as Error).message}`, { path: store.path }, { cause: err });
  }
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
