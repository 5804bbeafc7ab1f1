import type { Rollup, RollupType } from '@pcf-edge/core';
import type { StatementCache } from './statements';
import type { OutboxRow, StoredRollup } from './types';
import { rollupColumns, toOutboxRow, toStoredRollup, type OutboxDbRow, type RollupRow } from './rows';

export interface RollupFilter {
  type?: RollupType;
  line?: string;
  meterId?: string;
  windowMs?: number;
  /** Inclusive lower bound on the window start, epoch ms. */
  fromMs?: number;
  /** Exclusive upper bound on the window start, epoch ms. */
  toMs?: number;
}

export interface PendingOutboxOptions {
  /** Highest seq first (default: oldest first). */
  newestFirst?: boolean;
  /** Only rows with seq > afterSeq. */
  afterSeq?: number;
  /** Only rows with seq < beforeSeq (paging with newestFirst). */
  beforeSeq?: number;
}

const ROLLUP_SELECT = 'SELECT body, window_start_ms, updated_ts FROM rollups';

/**
 * Upserts by id. A stored rollup is replaced when the incoming revision is greater than or equal to it; a lower
 * revision is ignored (a stale writer never rolls a window back).
 */
const UPSERT_ROLLUP = `INSERT INTO rollups (id, revision, type, site, line, meter_id, point, window_ms, window_start_ms, body, updated_ts)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, type = excluded.type, site = excluded.site,
  line = excluded.line, meter_id = excluded.meter_id, point = excluded.point, window_ms = excluded.window_ms,
  window_start_ms = excluded.window_start_ms, body = excluded.body, updated_ts = excluded.updated_ts
WHERE excluded.revision >= rollups.revision`;

export function putRollups(st: StatementCache, rollups: Rollup[], nowTs: number): void {
  const stmt = st.get(UPSERT_ROLLUP);
  for (const r of rollups) {
    const c = rollupColumns(r);
    stmt.run(
      r.id,
      r.revision,
      r.type,
      r.site,
      c.line,
      c.meterId,
      c.point,
      r.windowMs,
      c.windowStartMs,
      JSON.stringify(r),
      nowTs,
    );
  }
}

export function getRollup(st: StatementCache, id: string): StoredRollup | undefined {
  const row = st.get(`${ROLLUP_SELECT} WHERE id = ?`).get(id) as RollupRow | undefined;
  return row === undefined ? undefined : toStoredRollup(row);
}

export function getRollups(st: StatementCache, ids: string[]): Map<string, StoredRollup> {
  const out = new Map<string, StoredRollup>();
  const stmt = st.get(`${ROLLUP_SELECT} WHERE id = ?`);
  for (const id of new Set(ids)) {
    const row = stmt.get(id) as RollupRow | undefined;
    if (row !== undefined) out.set(id, toStoredRollup(row));
  }
  return out;
}

export function listRollups(st: StatementCache, f: RollupFilter): StoredRollup[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, v: string | number | undefined): void => {
    if (v === undefined) return;
    where.push(clause);
    params.push(v);
  };
  add('type = ?', f.type);
  add('line = ?', f.line);
  add('meter_id = ?', f.meterId);
  add('window_ms = ?', f.windowMs);
  add('window_start_ms >= ?', f.fromMs);
  add('window_start_ms < ?', f.toMs);
  const sql = `${ROLLUP_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY window_start_ms, id`;
  return (st.get(sql).all(...params) as RollupRow[]).map(toStoredRollup);
}

export function enqueueOutbox(
  st: StatementCache,
  items: { rollupId: string; revision: number; windowStartMs: number }[],
  nowTs: number,
): void {
  const stmt = st.get('INSERT INTO outbox (rollup_id, revision, window_start_ms, enqueued_ts) VALUES (?, ?, ?, ?)');
  for (const i of items) stmt.run(i.rollupId, i.revision, i.windowStartMs, nowTs);
}

export function pendingOutbox(st: StatementCache, limit: number, opts: PendingOutboxOptions = {}): OutboxRow[] {
  const order = opts.newestFirst === true ? 'DESC' : 'ASC';
  const sql = `SELECT * FROM outbox WHERE sent_ts IS NULL AND seq > ? AND seq < ? ORDER BY seq ${order} LIMIT ?`;
  const rows = st.get(sql).all(opts.afterSeq ?? 0, opts.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as OutboxDbRow[];
  return rows.map(toOutboxRow);
}

/** An unsent outbox row with its rollup as stored now: revision and JSON text (null when the rollup is gone). */
export interface OutboxBodyRow {
  seq: number;
  rollupId: string;
  revision: number | null;
  body: string | null;
}

const PENDING_BODIES_SQL = (order: 'ASC' | 'DESC'): string => `SELECT o.seq, o.rollup_id, r.revision, r.body
FROM outbox o LEFT JOIN rollups r ON r.id = o.rollup_id
WHERE o.sent_ts IS NULL AND o.seq > ? AND o.seq < ? ORDER BY o.seq ${order} LIMIT ?`;

/**
 * `pendingOutbox` joined with each row's stored rollup JSON text, in one raw query: an exporter that splices the
 * stored JSON into its messages skips a statement call and a JSON.parse per rollup. Text, not `CAST(body AS BLOB)`:
 * a (one-byte) JS string per row costs far less than a Buffer per row (ADR 0132).
 */
export function pendingOutboxBodies(
  st: StatementCache,
  limit: number,
  opts: PendingOutboxOptions = {},
): OutboxBodyRow[] {
  const stmt = st.get(PENDING_BODIES_SQL(opts.newestFirst === true ? 'DESC' : 'ASC'));
  stmt.raw(true);
  const rows = stmt.all(opts.afterSeq ?? 0, opts.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as [
    number,
    string,
    number | null,
    string | null,
  ][];
  return rows.map(([seq, rollupId, revision, body]) => ({ seq, rollupId, revision, body }));
}

/**
 * Marks unsent rows sent, message by message; rows already sent keep their first sequence number. One UPDATE per
 * run of consecutive seqs (a message's rows mostly are), not one per row.
 */
export function markOutboxSent(
  st: StatementCache,
  marks: { seqs: readonly number[]; sequenceNumber: string }[],
  nowTs: number,
): void {
  const stmt = st.get(
    'UPDATE outbox SET sent_ts = ?, sequence_number = ? WHERE seq BETWEEN ? AND ? AND sent_ts IS NULL',
  );
  for (const m of marks) {
    const seqs = [...m.seqs].sort((a, b) => a - b);
    let from = 0;
    for (let i = 1; i <= seqs.length; i++) {
      if (i < seqs.length && seqs[i] === seqs[i - 1]! + 1) continue;
      stmt.run(nowTs, m.sequenceNumber, seqs[from], seqs[i - 1]);
      from = i;
    }
  }
}

export function outboxStats(
  st: StatementCache,
  nowTs: number,
): { depth: number; oldestUnsentTs: number | null; oldestUnsentAgeMs: number | null } {
  const row = st
    .get('SELECT COUNT(*) AS depth, MIN(enqueued_ts) AS oldest FROM outbox WHERE sent_ts IS NULL')
    .get() as { depth: number; oldest: number | null };
  return {
    depth: row.depth,
    oldestUnsentTs: row.oldest,
    oldestUnsentAgeMs: row.oldest === null ? null : nowTs - row.oldest,
  };
}
