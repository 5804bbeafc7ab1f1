import type { Reading, Rollup } from '@pcf-edge/core';

/**
 * The gateway store: one SQLite file (WAL, busy timeout) shared by every edge process.
 * Ownership: collectors append readings and upsert meter health; the aggregator owns its state, counter anchors,
 * counter events, rollups and enqueues the outbox; the exporter marks outbox rows sent and owns exporter state;
 * the CLI only reads (open with `readonly: true`).
 */
export interface StoredReading extends Reading {
  /** Monotonic sequence number assigned on insert; the aggregator's cursor. */
  seq: number;
}

/**
 * One reading in the compact form of `readingRowsAfter`: a plain array of the columns a bulk consumer (the line
 * aggregator) needs per reading. `good` is 1 when quality is 'good'. Use `readingsAfter` for the other columns.
 */
export type CompactReading = [
  seq: number,
  meterId: string,
  point: string,
  value: number | null,
  sourceTs: number | null,
  readTs: number,
  good: 0 | 1,
  meterSerial: string | null,
];

export type MeterState = 'ok' | 'degraded' | 'failing' | 'circuitOpen' | 'unknown';

export interface MeterHealth {
  meterId: string;
  site: string;
  line: string;
  collector: string;
  state: MeterState;
  lastGoodTs: number | null;
  lastReadTs: number | null;
  consecutiveFailures: number;
  lastError: string | null;
  updatedTs: number;
}

/** Persisted per-counter-point anchor (see docs/method/consumption.md). `state` is the aggregator's own JSON. */
export interface CounterAnchor {
  meterId: string;
  point: string;
  value: number;
  ts: number;
  meterSerial: string | null;
  state: unknown;
}

export interface CounterEvent {
  id?: number;
  ts: number;
  site: string;
  line: string;
  meterId: string;
  point: string;
  kind:
    | 'rollover'
    | 'reset'
    | 'replacement'
    | 'quarantine'
    | 'quarantineConfirmed'
    | 'quarantineRefuted'
    | 'outlier'
    | 'gap';
  detail: Record<string, unknown>;
}

export interface StoredRollup {
  rollup: Rollup;
  windowStartMs: number;
  updatedTs: number;
}

export interface OutboxRow {
  seq: number;
  rollupId: string;
  revision: number;
  windowStartMs: number;
  enqueuedTs: number;
  sentTs: number | null;
  /** Stream Manager sequence number of the append that carried it (decimal string, int64-safe). */
  sequenceNumber: string | null;
}
