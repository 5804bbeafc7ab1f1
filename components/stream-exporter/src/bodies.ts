import type { GatewayStore, OutboxBodyRow } from '@pcf-edge/store';
import type { PendingSource } from './pick';

/** An unsent outbox row with its rollup as stored now: revision and JSON text (null when the rollup is gone). */
export type PendingRow = OutboxBodyRow;

/**
 * SQLite memory map for the exporter's store connection: the outbox is in window order but rollup ids are
 * hashes, so the exporter's lookups of stored rollups land all over the table (ADR 0130). 1 GiB covers the
 * rollups of a 1,000,000-rollup backlog (about 0.8 GB); beyond the map every lookup is a read() through a small
 * page cache, about twice the CPU (ADR 0134). Address space only: the pages are the OS's file cache, and SQLite
 * maps no more than the file's size and falls back to read() where a map cannot be made.
 */
export const EXPORTER_MMAP_BYTES = 1024 * 1024 * 1024;

/**
 * The picker's source: unsent outbox rows with their stored rollup JSON text, in one query
 * (`store.pendingOutboxBodies`); the exporter only splices the stored JSON into a message, so it skips the
 * statement call and JSON.parse per rollup of `store.getRollups`.
 */
export function pendingReader(store: GatewayStore): PendingSource<PendingRow> {
  return { pendingOutbox: (limit, opts) => store.pendingOutboxBodies(limit, opts) };
}
