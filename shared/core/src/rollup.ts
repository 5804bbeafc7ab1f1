import { createHash } from 'node:crypto';
import type { PointKind, Quantity } from './quantities';

/**
 * Rollups are what the line aggregator produces and what travels to the cloud inside a
 * `pcf-edge.rollup-batch/1` document (schema: shared/core/schemas/rollup-batch.schema.json).
 * Each rollup has a deterministic id (hash of its key) and a revision: late data revises a window under the
 * same id with revision + 1, and the cloud keeps the highest revision.
 * Times are ISO-8601 UTC strings on the wire; windows are aligned to UTC multiples of `windowMs`.
 */
export type RollupType = 'meterCounter' | 'meterGauge' | 'line' | 'site';

/** How a counter window's consumption was obtained. */
export type CounterMethod =
  'measured' | 'interpolated' | 'gapSpread' | 'rollover' | 'reset' | 'replacement' | 'quarantined';

interface RollupBase {
  id: string;
  revision: number;
  type: RollupType;
  site: string;
  /** Window start, ISO-8601 UTC. */
  windowStart: string;
  windowMs: number;
  /** Fraction 0..1 of the window covered by good data. */
  coverage: number;
  /** True when any part of the value was estimated (a gap spread over windows). */
  estimated: boolean;
  /** Free-form markers: `gap`, `bad`, `rollover`, `reset`, `replacement`, `quarantine`, `late`. */
  flags: string[];
}

export interface GasEnergy {
  /** Uncorrected volume in the window. */
  m3: number;
  kWh: number;
  /** Calorific value used, MJ/m³, and its basis. */
  cvMJPerM3: number;
  cvBasis: 'gross';
  volumeCorrectionFactor: number;
}

export interface MeterCounterRollup extends RollupBase {
  type: 'meterCounter';
  line: string;
  meterId: string;
  point: string;
  quantity: Quantity;
  kind: Extract<PointKind, 'counter'>;
  unit: string;
  /** Consumption in the window, in the quantity's canonical unit. Never negative. */
  delta: number;
  methods: CounterMethod[];
  readingCount: number;
  /** Present for gasVolume points. */
  gas?: GasEnergy;
}

export interface MeterGaugeRollup extends RollupBase {
  type: 'meterGauge';
  line: string;
  meterId: string;
  point: string;
  quantity: Quantity;
  kind: Extract<PointKind, 'gauge'>;
  unit: string;
  min: number | null;
  max: number | null;
  mean: number | null;
  last: number | null;
  readingCount: number;
}

export interface LineRollup extends RollupBase {
  type: 'line';
  line: string;
  electricityKWh: number;
  gasM3: number;
  gasKWh: number;
  /** Basis of gasKWh: always 'gross' when gas was metered, null when the line has no gas. */
  gasCvBasis: 'gross' | null;
  unitsGood: number;
  unitsScrap: number;
  /** electricityKWh + gasKWh per good unit; null when no unit was produced. */
  kWhPerUnit: number | null;
  /** Meter ids whose counters contributed. */
  meters: string[];
}

export interface SiteRollup extends RollupBase {
  type: 'site';
  /** Lines plus baseload meters. */
  electricityKWh: number;
  baseloadKWh: number;
  gasM3: number;
  gasKWh: number;
  gasCvBasis: 'gross' | null;
  unitsGood: number;
  unitsScrap: number;
  lines: string[];
}

export type Rollup = MeterCounterRollup | MeterGaugeRollup | LineRollup | SiteRollup;

export const ROLLUP_BATCH_SCHEMA_ID = 'pcf-edge.rollup-batch/1';

export interface RollupBatch {
  schema: typeof ROLLUP_BATCH_SCHEMA_ID;
  /** Deterministic: hash of the (id, revision) pairs it carries. */
  batchId: string;
  gatewayId: string;
  site: string;
  createdAt: string;
  rollups: Rollup[];
}

/** The key that identifies a rollup across revisions. */
export interface RollupKey {
  type: RollupType;
  site: string;
  line?: string;
  meterId?: string;
  point?: string;
  windowMs: number;
  windowStartMs: number;
}

/** Deterministic rollup id: the first 32 hex digits of SHA-256 over the key's fields. */
export function rollupId(key: RollupKey): string {
  const parts = [
    key.type,
    key.site,
    key.line ?? '',
    key.meterId ?? '',
    key.point ?? '',
    String(key.windowMs),
    String(key.windowStartMs),
  ];
  return createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 32);
}

/** Window start (epoch ms) of the UTC-aligned window of length `windowMs` containing `ts`. */
export function windowStartOf(ts: number, windowMs: number): number {
  return Math.floor(ts / windowMs) * windowMs;
}

/** Parses a window length such as `1m`, `15m`, `1h`, `30s` into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (expected e.g. 500ms, 30s, 15m, 1h, 7d)`);
  const n = Number(m[1]);
  const unit = m[2] as 'ms' | 's' | 'm' | 'h' | 'd';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
  return Math.round(n * factor);
}

export function formatDuration(ms: number): string {
  for (const [unit, f] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % f === 0) return `${ms / f}${unit}`;
  }
  return `${ms}ms`;
}
