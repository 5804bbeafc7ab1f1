import type { QueuedDelivery, Recomputation } from './repository';

/** Columns of `result_recomputations` (migration 9) in insert order, and the row of a recomputation. */
export const RECOMPUTATION_COLUMNS = [
  'result_id',
  'successor_id',
  'rollups_sha256',
  'relative_change',
  'threshold',
  'note',
  'created_at_ms',
];
export const recomputationParams = (r: Recomputation): unknown[] => [
  r.resultId,
  r.successorId,
  r.rollupsSha256,
  r.relativeChange,
  r.threshold,
  r.note,
  r.createdAtMs,
];
export const rowToRecomputation = (row: Record<string, unknown>): Recomputation => ({
  resultId: row.result_id as string,
  successorId: (row.successor_id as string | null) ?? null,
  rollupsSha256: row.rollups_sha256 as string,
  relativeChange: row.relative_change as string,
  threshold: row.threshold as string,
  note: row.note as string,
  createdAtMs: Number(row.created_at_ms),
});

/** A pending row of the delivery queue (migration 190's `pact_event_deliveries`), in DELIVERY_COLUMNS order. */
export const DELIVERY_COLUMNS = [
  'id',
  'client_id',
  'type',
  'url',
  'body',
  'status',
  'attempts',
  'next_attempt_ms',
  'lease_until_ms',
  'created_at_ms',
];
export const deliveryParams = (d: QueuedDelivery): unknown[] => [
  d.id,
  d.clientId,
  d.type,
  d.url,
  d.body,
  'pending',
  0,
  d.nextAttemptMs,
  0,
  d.createdAtMs,
];

/** `INSERT INTO table (columns) VALUES (placeholders)` with `p(i)` as the i-th placeholder (1-based). */
export const insertSql = (table: string, columns: string[], p: (i: number) => string): string =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => p(i + 1)).join(', ')})`;
