import type { OutboundEvent, Recomputation } from './repository';

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

export const EVENT_COLUMNS = ['id', 'type', 'event', 'created_at_ms', 'delivered_at_ms'];
export const eventParams = (e: OutboundEvent): unknown[] => [
  e.id,
  e.type,
  JSON.stringify(e.event),
  e.createdAtMs,
  e.deliveredAtMs,
];
export const rowToEvent = (row: Record<string, unknown>): OutboundEvent => ({
  id: row.id as string,
  type: row.type as string,
  event: JSON.parse(row.event as string),
  createdAtMs: Number(row.created_at_ms),
  deliveredAtMs: row.delivered_at_ms === null || row.delivered_at_ms === undefined ? null : Number(row.delivered_at_ms),
});

/** `INSERT INTO table (columns) VALUES (placeholders)` with `p(i)` as the i-th placeholder (1-based). */
export const insertSql = (table: string, columns: string[], p: (i: number) => string): string =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => p(i + 1)).join(', ')})`;
