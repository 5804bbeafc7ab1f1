import type { GroupSum, WindowGroup } from '@pcf-edge/pcf-engine';
import { periodColumns, periodRowToStored } from './rollup-rows';
import type { RollupWindow as StoredRollup } from '@pcf-edge/pcf-engine';

/**
 * The aggregated read of ad-hoc calculations (ADR 0145): SQL that sums whole windows per interval, and reads the
 * other windows as rows. Portable SQL apart from the interval list, passed as one JSON array (`json_each`). The
 * interval list is the outer loop (`CROSS JOIN` fixes the order in SQLite): each interval is then one index range
 * scan, where the planner's own choice walked every window of the line once per interval.
 */

/** Which windows, of one length: a line's (selected by line, as the row path) or a site's baseload windows. */
export type WindowSelector = { type: 'line'; line: string } | { type: 'site'; site: string };
export type WindowQuery = WindowSelector & { windowMs: number };

/**
 * `WindowGroup` sums of one interval. Not `usable` when a summed value is not short, a sum is past 2^53 (inexact as a
 * JS number) or the rows name several sites: the row path then decides.
 */
export interface IntervalSums {
  interval: number;
  group: WindowGroup;
  usable: boolean;
}

/** The repository's part of the aggregated read; stores without it serve ad-hoc calculations from rows. */
export interface WindowAggregates {
  /** The shortest window length among the windows overlapping [fromMs, toMs), or undefined when there are none. */
  shortestWindowMs(q: WindowSelector, fromMs: number, toMs: number): Promise<number | undefined>;
  /** Per interval [a, b) with windows, the sums of the windows starting at or after a and ending by b. */
  sums(q: WindowQuery, intervals: [number, number][]): Promise<IntervalSums[]>;
  /** The windows whose start lies in one of `ranges` ([lo, hi] inclusive, disjoint), ordered by start and id. */
  rowsStartingIn(q: WindowQuery, ranges: [number, number][]): Promise<StoredRollup[]>;
}

/** Counts packed three to a sum (each below 2^17, so the packed value stays below 2^51, exact as a JS number). */
export const PACK = 2 ** 17;

/**
 * SQL for "`x` is short" and for its integer millionths: the SQL form of `millionths` (engine/exact-sum.ts), |x| <
 * 2^31 and round(x × 10^6) ÷ 10^6 = x. SQLite's round() of a value below 2^51 is floor(|v| + 0.5) with the sign, so
 * it agrees with Math.round wherever the test can hold (a tie never passes it); window-sums.test.ts holds the two
 * against each other value by value.
 */
export const shortSql = (x: string): string =>
  `(abs(${x}) < 2147483648.0 AND round(${x} * 1000000.0) / 1000000.0 = ${x})`;
export const unitsSql = (x: string): string => `CAST(round(${x} * 1000000.0) AS INTEGER)`;

/**
 * One row per (interval, estimated flag), ordered by interval: the estimated windows' sums come apart without a
 * second set of sums, and `toIntervalSums` joins the two rows of an interval. Every aggregate costs per window, so the
 * query keeps to a few: counts and not-short flags are packed three to a sum, and quantities are summed over all
 * windows, which equals the engine's sums over the windows it takes (electricity > 0; gas kWh or m³ > 0) once `least`
 * shows that no value is negative.
 */
export function windowSumsSql(q: WindowQuery): string {
  const e = q.type === 'site' ? 'coalesce(r.baseload_kwh, 0)' : 'coalesce(r.electricity_kwh, 0)';
  const gm = 'coalesce(r.gas_m3, 0)',
    gk = 'coalesce(r.gas_kwh, 0)';
  const g = `(${gk} > 0 OR ${gm} > 0)`;
  const gas =
    q.type === 'site'
      ? `NULL AS gf, 0 AS gmu, 0 AS gku, 0 AS bases, min(${e}) AS least,
    sum(NOT ${shortSql(e)}) AS not_short, sum((r.coverage < 1) + ((${e} > 0) << 17)) AS counts`
      : `min(CASE WHEN ${g} THEN r.window_start_ms END) AS gf, sum(${unitsSql(gm)}) AS gmu, sum(${unitsSql(gk)}) AS gku,
    sum((${g} AND r.gas_cv_basis = 'gross') + ((${g} AND r.gas_cv_basis = 'net') << 17)) AS bases, min(min(${e}, ${gm}, ${gk})) AS least,
    sum((NOT ${shortSql(e)}) + ((NOT ${shortSql(gm)}) << 17) + ((NOT ${shortSql(gk)}) << 34)) AS not_short,
    sum((r.coverage < 1) + ((${e} > 0) << 17) + (${g} << 34)) AS counts`;
  return `SELECT j.key AS interval, r.estimated <> 0 AS est, count(*) AS n, min(r.site) AS site, max(r.site) AS site_max,
    min(r.window_start_ms) AS first_ms, max(r.window_start_ms) AS last_ms, min(r.coverage) AS min_cov,
    min(CASE WHEN ${e} > 0 THEN r.window_start_ms END) AS ef, sum(${unitsSql(e)}) AS eu, ${gas}
    FROM json_each(?) AS j CROSS JOIN rollups AS r WHERE ${whereWindows(q)}
      AND r.window_start_ms >= (j.value ->> 0) AND r.window_start_ms < (j.value ->> 1) AND r.window_start_ms + r.window_ms <= (j.value ->> 1)
    GROUP BY j.key, r.estimated <> 0 ORDER BY j.key`;
}

export function rowsStartingInSql(q: WindowQuery): string {
  const cols = periodColumns(q.type === 'site', q.type === 'line')
    .split(', ')
    .map((c) => `r.${c.trim()}`)
    .join(', ');
  return `SELECT ${cols} FROM json_each(?) AS j CROSS JOIN rollups AS r WHERE ${whereWindows(q)}
    AND r.window_start_ms >= (j.value ->> 0) AND r.window_start_ms <= (j.value ->> 1) ORDER BY r.window_start_ms, r.id`;
}

/** The shortest window length among the windows overlapping the period. */
export function shortestWindowSql(q: WindowSelector): string {
  return `SELECT min(r.window_ms) AS w FROM rollups r
    WHERE ${selectorSql(q)} AND r.window_start_ms < ? AND r.window_start_ms > ? AND r.window_start_ms + r.window_ms > ?`;
}

/** The WHERE clause of a selector (its one parameter: `selected(q)`); the type is literal, for the partial site index. */
const selectorSql = (q: WindowSelector): string =>
  q.type === 'site' ? "r.type = 'site' AND r.site = ?" : "r.type = 'line' AND r.line = ?";

/** The line or site a query selects. */
export const selected = (q: WindowSelector): string => (q.type === 'site' ? q.site : q.line);
/** Parameters after the JSON list: line or site, window length. */
export const windowParams = (q: WindowQuery): (string | number)[] => [selected(q), q.windowMs];

const whereWindows = (q: WindowQuery): string => `${selectorSql(q)} AND r.window_ms = ?`;

type SumsRow = Record<string, number | string | null>;

/**
 * The rows of `windowSumsSql` (one or two per interval) as interval sums. A summed value that is not short voids
 * only its own quantity (`notShort`): the engine uses the gas quantity its factor prices, and reads rows when that
 * one is void. Not usable at all: a negative value, electricity not short, both gas quantities void, a sum past
 * 2^53, a group of 2^17 windows or more, rows of several sites (each row's own site picks its mapping).
 */
export function toIntervalSums(rows: SumsRow[], q: WindowQuery): IntervalSums[] {
  const out: IntervalSums[] = [];
  // rows arrive grouped by interval (GROUP BY interval, estimated): one or two rows per interval
  for (let i = 0; i < rows.length;) {
    const first = rows[i]!;
    const second = i + 1 < rows.length && rows[i + 1]!.interval === first.interval ? rows[i + 1] : undefined;
    out.push(intervalSums(first, second, q));
    i += second ? 2 : 1;
  }
  return out;
}

const num = (v: number | string | null | undefined): number => Number(v ?? 0);
const packed = (v: number | string | null | undefined, i: number): number => Math.floor(num(v) / PACK ** i) % PACK;
const lesser = (a: number | string | null | undefined, b: number | string | null | undefined): number | null =>
  a == null ? (b == null ? null : num(b)) : b == null ? num(a) : Math.min(num(a), num(b));

function intervalSums(a: SumsRow, b: SumsRow | undefined, q: WindowQuery): IntervalSums {
  const est = a.est ? a : b?.est ? b : undefined;
  const total = (k: string, at?: number) =>
    at === undefined ? num(a[k]) + num(b?.[k]) : packed(a[k], at) + packed(b?.[k], at);
  // packed: counts = partial, electricity > 0, gas > 0; not_short = electricity, gas m³, gas kWh
  const sum = (countAt: number, notShortAt: number, first: string, u: string): GroupSum => ({
    count: total('counts', countAt),
    firstMs: lesser(a[first], b?.[first]),
    units: total(u),
    estimatedUnits: num(est?.[u]),
    notShort: total('not_short', notShortAt),
  });
  const partial = total('counts', 0);
  const lastStartMs = Math.max(num(a.last_ms), b ? num(b.last_ms) : -Infinity);
  const gasM3 = sum(2, 1, 'gf', 'gmu');
  const group: WindowGroup = {
    group: true,
    site: String(a.site),
    windowMs: q.windowMs,
    windowStartMs: lesser(a.first_ms, b?.first_ms)!,
    lastStartMs,
    endMs: lastStartMs + q.windowMs,
    count: total('n'),
    partial,
    minCoverage: partial > 0 ? lesser(a.min_cov, b?.min_cov) : null,
    estimated: num(est?.n),
    elec: sum(1, 0, 'ef', 'eu'),
    gasM3,
    gasKWh: sum(2, 2, 'gf', 'gku'),
    gasBasis: {
      gross: total('bases', 0),
      net: total('bases', 1),
      none: gasM3.count - total('bases', 0) - total('bases', 1),
    },
  };
  const exact = [group.elec, group.gasM3, group.gasKWh].every(
    (x) => Number.isSafeInteger(x.units) && Number.isSafeInteger(x.estimatedUnits),
  );
  const oneSite = a.site === a.site_max && (!b || (b.site === b.site_max && b.site === a.site));
  const gasUsable = gasM3.count === 0 || gasM3.notShort === 0 || group.gasKWh.notShort === 0;
  const least = lesser(a.least, b?.least) ?? 0;
  return {
    interval: num(a.interval),
    group,
    usable: exact && oneSite && least >= 0 && group.count < PACK && group.elec.notShort === 0 && gasUsable,
  };
}

/** A row of `rowsStartingInSql` (raw mode) as a stored rollup. */
export const windowRowToStored = (a: unknown[], q: WindowQuery): StoredRollup =>
  periodRowToStored(a, q.type === 'site' ? { type: 'site', site: q.site } : { type: 'line', line: q.line });
