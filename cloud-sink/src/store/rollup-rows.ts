import type { Rollup } from '@pcf-edge/core';
import type { RollupWindow as StoredRollup } from '@pcf-edge/pcf-engine';

/** Upsert keeping the highest revision: a lower or equal revision changes nothing (0 rows). Portable to PostgreSQL. */
export const UPSERT_ROLLUP = `INSERT INTO rollups (id, revision, type, site, line, window_start_ms, window_ms, electricity_kwh, gas_m3,
  gas_kwh, gas_cv_basis, baseload_kwh, units_good, units_scrap, coverage, estimated, doc, received_at_ms)
  VALUES (@id, @revision, @type, @site, @line, @windowStartMs, @windowMs, @electricityKWh, @gasM3, @gasKWh, @gasCvBasis,
  @baseloadKWh, @unitsGood, @unitsScrap, @coverage, @estimated, @doc, @receivedAtMs)
  ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, type = excluded.type, site = excluded.site, line = excluded.line,
  window_start_ms = excluded.window_start_ms, window_ms = excluded.window_ms, electricity_kwh = excluded.electricity_kwh,
  gas_m3 = excluded.gas_m3, gas_kwh = excluded.gas_kwh, gas_cv_basis = excluded.gas_cv_basis, baseload_kwh = excluded.baseload_kwh,
  units_good = excluded.units_good, units_scrap = excluded.units_scrap, coverage = excluded.coverage,
  estimated = excluded.estimated, doc = excluded.doc, received_at_ms = excluded.received_at_ms
  WHERE excluded.revision > rollups.revision`;

/** UPSERT_ROLLUP with positional `?` parameters, bound by `rollupParams` (better-sqlite3 binds an array faster than names). */
const UPSERT_NAMES = [...UPSERT_ROLLUP.matchAll(/@(\w+)/g)].map((m) => m[1]!);
export const UPSERT_ROLLUP_POSITIONAL = UPSERT_ROLLUP.replace(/@\w+/g, '?');

/** The columns the engine reads (the stored document is left out: it is only for export and forensics). */
export const ROLLUP_COLUMNS = `id, revision, type, site, line, window_start_ms, window_ms, electricity_kwh, gas_m3, gas_kwh, gas_cv_basis,
  baseload_kwh, units_good, units_scrap, coverage, estimated`;

/**
 * A period query's columns: ROLLUP_COLUMNS without `type`, and without `site` / `line` when the query fixes them
 * (those are then taken from the query, not built as a new string for every row). Read by `periodRowToStored`.
 */
export function periodColumns(bySite: boolean, byLine: boolean): string {
  return [
    'id, revision, window_start_ms, window_ms, electricity_kwh, gas_m3, gas_kwh, gas_cv_basis, baseload_kwh, units_good, units_scrap, coverage, estimated',
    ...(bySite ? [] : ['site']),
    ...(byLine ? [] : ['line']),
  ].join(', ');
}

/** The values a period query fixed by its WHERE clause (equal to the stored ones: TEXT `=` compares bytes). */
export interface PeriodKey {
  type: StoredRollup['type'];
  site?: string;
  line?: string;
}

/** A row of a period query in raw (array) mode, columns as `periodColumns(key.site !== undefined, key.line !== undefined)`. */
export function periodRowToStored(a: unknown[], key: PeriodKey): StoredRollup {
  const site = key.site ?? (a[13] as string);
  const line = key.line ?? (a[key.site === undefined ? 14 : 13] as string | null);
  return {
    id: a[0] as string,
    revision: Number(a[1]),
    type: key.type,
    site,
    line,
    windowStartMs: Number(a[2]),
    windowMs: Number(a[3]),
    electricityKWh: a[4] as number | null,
    gasM3: a[5] as number | null,
    gasKWh: a[6] as number | null,
    gasCvBasis: a[7] as StoredRollup['gasCvBasis'],
    baseloadKWh: a[8] as number | null,
    unitsGood: a[9] as number | null,
    unitsScrap: a[10] as number | null,
    coverage: Number(a[11]),
    estimated: a[12] === 1,
  };
}

export interface RollupRow {
  id: string;
  revision: number;
  type: string;
  site: string;
  line: string | null;
  window_start_ms: number;
  window_ms: number;
  electricity_kwh: number | null;
  gas_m3: number | null;
  gas_kwh: number | null;
  gas_cv_basis: string | null;
  baseload_kwh: number | null;
  units_good: number | null;
  units_scrap: number | null;
  coverage: number;
  estimated: number;
}

/** Named parameters for UPSERT_ROLLUP. */
export function rollupRow(r: Rollup, receivedAtMs: number): Record<string, unknown> {
  const energy = r.type === 'line' || r.type === 'site' ? r : undefined;
  return {
    id: r.id,
    revision: r.revision,
    type: r.type,
    site: r.site,
    line: r.type === 'site' ? null : r.line,
    windowStartMs: Date.parse(r.windowStart),
    windowMs: r.windowMs,
    electricityKWh: energy?.electricityKWh ?? null,
    gasM3: energy?.gasM3 ?? null,
    gasKWh: energy?.gasKWh ?? null,
    gasCvBasis: energy?.gasCvBasis ?? null,
    baseloadKWh: r.type === 'site' ? r.baseloadKWh : null,
    unitsGood: energy?.unitsGood ?? null,
    unitsScrap: energy?.unitsScrap ?? null,
    coverage: r.coverage,
    estimated: r.estimated ? 1 : 0,
    doc: JSON.stringify(r),
    receivedAtMs,
  };
}

/** UPSERT_ROLLUP_POSITIONAL's parameters, in order. */
export function rollupParams(r: Rollup, receivedAtMs: number): unknown[] {
  const row = rollupRow(r, receivedAtMs);
  return UPSERT_NAMES.map((n) => row[n]);
}

export function rowToStored(row: RollupRow): StoredRollup {
  return {
    id: row.id,
    revision: Number(row.revision),
    type: row.type as StoredRollup['type'],
    site: row.site,
    line: row.line,
    windowStartMs: Number(row.window_start_ms),
    windowMs: Number(row.window_ms),
    electricityKWh: row.electricity_kwh,
    gasM3: row.gas_m3,
    gasKWh: row.gas_kwh,
    gasCvBasis: row.gas_cv_basis as StoredRollup['gasCvBasis'],
    baseloadKWh: row.baseload_kwh,
    unitsGood: row.units_good,
    unitsScrap: row.units_scrap,
    coverage: Number(row.coverage),
    estimated: row.estimated === 1,
  };
}
