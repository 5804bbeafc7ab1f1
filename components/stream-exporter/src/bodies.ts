import type { GatewayStore, OutboxBodyRow } from '@pcf-edge/store';
import type { PendingSource } from './pick';

/** An unsent outbox row with its rollup as stored now: revision and JSON text (null when the rollup is gone). */
export type PendingRow = OutboxBodyRow;

/**
 * SQLite memory map for the exporter's store connection: the outbox is in window order but rollup ids are
 * hashes, so the exporter's lookups of stored rollups land all over the table (ADR 0130).
 */
export const EXPORTER_MMAP_BYTES = 256 * 1024 * 1024;

/**
 * The picker's source: unsent outbox rows with their stored rollup JSON text, in one query
 * (`store.pendingOutboxBodies`); the exporter only splices the stored JSON into a message, so it skips the
 * statement call and JSON.parse per rollup of `store.getRollups`.
 */
export function pendingReader(store: GatewayStore): PendingSource<PendingRow> {
  return { pendingOutbox: (limit, opts) => store.pendingOutboxBodies(limit, opts) };
}
