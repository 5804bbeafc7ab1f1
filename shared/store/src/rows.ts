import type { CanonicalUnit, PointKind, Quality, Quantity, Reading, Rollup } from '@pcf-edge/core';
import type {
  CounterAnchor,
  CounterEvent,
  MeterHealth,
  MeterState,
  OutboxRow,
  StoredReading,
  StoredRollup,
} from './types';

/**
 * Column order of an INSERT into the `readings` view (its INSTEAD OF trigger files the row under its series);
 * `readingParams` must match it. The store itself inserts into reading_values (VALUE_COLUMNS), ADR 0268.
 */
export const READING_COLUMNS =
  'site, line, meter_id, point, quantity, kind, value, unit, source_ts, read_ts, quality, quality_reason, meter_serial';
export const INSERT_READING_SQL = `INSERT INTO readings (${READING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Column order of the store's own readings INSERT (reading_values); `fillValueParams` must match it. */
export const VALUE_COLUMNS = 'series, value, source_ts, read_ts, quality, quality_reason';
/** Parameters per reading row in the reading_values INSERTs below. */
export const VALUE_PARAMS = 6;
export const INSERT_VALUE_SQL = `INSERT INTO reading_values (${VALUE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`;
/** One INSERT of `rows` readings; SQLite inserts the VALUES rows in order, so seq follows the array. */
export function insertValuesSql(rows: number): string {
  const row = `(${Array<string>(VALUE_PARAMS).fill('?').join(', ')})`;
  return `INSERT INTO reading_values (${VALUE_COLUMNS}) VALUES ${Array<string>(rows).fill(row).join(', ')}`;
}

/** reading_values.quality; an unknown quality maps to -1, which the table's CHECK constraint rejects. */
export function qualityCode(q: string): number {
  return q === 'good' ? 0 : q === 'uncertain' ? 1 : q === 'bad' ? 2 : -1;
}

/** Writes the reading_values parameters of `r`, filed under `series`, into `out` from index `at`. */
export function fillValueParams(out: unknown[], at: number, series: number, r: Reading): void {
  out[at] = series;
  out[at + 1] = r.value === null || Number.isNaN(r.value) ? null : r.value;
  out[at + 2] = r.sourceTs ?? null;
  out[at + 3] = r.readTs;
  out[at + 4] = qualityCode(r.quality);
  out[at + 5] = r.qualityReason ?? null;
}

/** The reading_values parameters of `r` filed under `series`, as an array (for a bare INSERT_VALUE_SQL). */
export function valueParams(series: number, r: Reading): unknown[] {
  const out = new Array<unknown>(VALUE_PARAMS);
  fillValueParams(out, 0, series, r);
  return out;
}

export type ReadingParams = [
  string,
  string,
  string,
  string,
  string,
  string,
  number | null,
  string,
  number | null,
  number,
  string,
  string | null,
  string | null,
];

/**
 * Readings in the layout their producer keeps them (an array of Reading objects, a poll's columns): `length` rows;
 * `readingAt(i)` returns row i as a Reading, which may be an object the producer reuses for the next call (the
 * store reads it before asking for another row). Rows handed to the store or a ReadingWriter must not change
 * afterwards.
 */
export interface ReadingRows {
  readonly length: number;
  readingAt(i: number): Reading;
}

/** Reading objects as ReadingRows; the array may grow until it is handed over. */
export class ReadingArrayRows implements ReadingRows {
  constructor(readonly readings: Reading[] = []) {}
  get length(): number {
    return this.readings.length;
  }
  readingAt(i: number): Reading {
    return this.readings[i]!;
  }
}

export function readingParams(r: Reading): ReadingParams {
  return [
    r.site,
    r.line,
    r.meterId,
    r.point,
    r.quantity,
    r.kind,
    r.value === null || Number.isNaN(r.value) ? null : r.value,
    r.unit,
    r.sourceTs ?? null,
    r.readTs,
    r.quality,
    r.qualityReason ?? null,
    r.meterSerial ?? null,
  ];
}

export interface ReadingRow {
  seq: number;
  site: string;
  line: string;
  meter_id: string;
  point: string;
  quantity: string;
  kind: string;
  value: number | null;
  unit: string;
  source_ts: number | null;
  read_ts: number;
  quality: string;
  quality_reason: string | null;
  meter_serial: string | null;
}

export function toStoredReading(row: ReadingRow): StoredReading {
  const r: StoredReading = {
    seq: row.seq,
    site: row.site,
    line: row.line,
    meterId: row.meter_id,
    point: row.point,
    quantity: row.quantity as Quantity,
    kind: row.kind as PointKind,
    value: row.value,
    unit: row.unit as CanonicalUnit,
    sourceTs: row.source_ts,
    readTs: row.read_ts,
    quality: row.quality as Quality,
  };
  if (row.quality_reason !== null) r.qualityReason = row.quality_reason;
  if (row.meter_serial !== null) r.meterSerial = row.meter_serial;
  return r;
}

export interface HealthRow {
  meter_id: string;
  site: string;
  line: string;
  collector: string;
  state: string;
  last_good_ts: number | null;
  last_read_ts: number | null;
  consecutive_failures: number;
  last_error: string | null;
  updated_ts: number;
}

export function toMeterHealth(row: HealthRow): MeterHealth {
  return {
    meterId: row.meter_id,
    site: row.site,
    line: row.line,
    collector: row.collector,
    state: row.state as MeterState,
    lastGoodTs: row.last_good_ts,
    lastReadTs: row.last_read_ts,
    consecutiveFailures: row.consecutive_failures,
    lastError: row.last_error,
    updatedTs: row.updated_ts,
  };
}

export interface AnchorRow {
  meter_id: string;
  point: string;
  value: number;
  ts: number;
  meter_serial: string | null;
  state_json: string;
}

export function toAnchor(row: AnchorRow): CounterAnchor {
  return {
    meterId: row.meter_id,
    point: row.point,
    value: row.value,
    ts: row.ts,
    meterSerial: row.meter_serial,
    state: JSON.parse(row.state_json) as unknown,
  };
}

export interface EventRow {
  id: number;
  ts: number;
  site: string;
  line: string;
  meter_id: string;
  point: string;
  kind: string;
  detail_json: string;
}

export function toCounterEvent(row: EventRow): CounterEvent {
  return {
    id: row.id,
    ts: row.ts,
    site: row.site,
    line: row.line,
    meterId: row.meter_id,
    point: row.point,
    kind: row.kind as CounterEvent['kind'],
    detail: JSON.parse(row.detail_json) as Record<string, unknown>,
  };
}

export interface RollupRow {
  body: string;
  window_start_ms: number;
  updated_ts: number;
}

export function toStoredRollup(row: RollupRow): StoredRollup {
  return { rollup: JSON.parse(row.body) as Rollup, windowStartMs: row.window_start_ms, updatedTs: row.updated_ts };
}

/** The indexed key columns of a rollup; line/meterId/point are null where the rollup type has none. */
export function rollupColumns(r: Rollup): {
  line: string | null;
  meterId: string | null;
  point: string | null;
  windowStartMs: number;
} {
  const windowStartMs = Date.parse(r.windowStart);
  if (Number.isNaN(windowStartMs))
    throw new TypeError(`rollup ${r.id}: windowStart ${JSON.stringify(r.windowStart)} is not an ISO-8601 time`);
  return {
    line: 'line' in r ? r.line : null,
    meterId: 'meterId' in r ? r.meterId : null,
    point: 'point' in r ? r.point : null,
    windowStartMs,
  };
}

export interface OutboxDbRow {
  seq: number;
  rollup_id: string;
  revision: number;
  window_start_ms: number;
  enqueued_ts: number;
  sent_ts: number | null;
  sequence_number: string | null;
}

export function toOutboxRow(row: OutboxDbRow): OutboxRow {
  return {
    seq: row.seq,
    rollupId: row.rollup_id,
    revision: row.revision,
    windowStartMs: row.window_start_ms,
    enqueuedTs: row.enqueued_ts,
    sentTs: row.sent_ts,
    sequenceNumber: row.sequence_number,
  };
}
