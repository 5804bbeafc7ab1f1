import { compareIntervals, type EnergyInterval, type SummableSegments } from '@pcf-edge/pcf-engine';
import type { EnergySeriesKey } from './repository';

/**
 * The energy read of one series (ADR 0180), shared by both stores. For a window length W, every window overlapping
 * the period falls in exactly one item: either it lies wholly inside a summable segment [a, b) (start in
 * [a, b − W]) and is summed with the segment's other windows, or it straddles a breakpoint p (start in [p − W + 1,
 * p − 1]) or lies in a shared segment, and is read on its own. Items are [lo, hi] ranges of window starts.
 */
export interface ReadItem {
  lo: number;
  hi: number;
  /** Read every window of the range on its own (else: one sum per site, estimate flag and CV basis). */
  single: boolean;
}

export function readItems(s: SummableSegments, windowMs: number): ReadItem[] {
  const { breakpoints: p, shared } = s;
  const isShared = new Set(shared.map(([a]) => a));
  const groups: ReadItem[] = [];
  const singles: [number, number][] = p.map((x) => [x - windowMs + 1, x - 1]);
  for (let i = 0; i + 1 < p.length; i++) {
    const a = p[i]!,
      b = p[i + 1]!;
    if (isShared.has(a)) singles.push([a - windowMs + 1, b - 1]);
    else if (b - windowMs >= a) groups.push({ lo: a, hi: b - windowMs, single: false });
  }
  const merged: [number, number][] = [];
  for (const [lo, hi] of singles.filter(([lo, hi]) => lo <= hi).sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return [...groups, ...merged.map(([lo, hi]) => ({ lo, hi, single: true }))];
}

/** SQL selecting a series' windows (the type written literally, so the partial index of site rows applies). */
export const seriesWhere = (key: EnergySeriesKey): string =>
  key.type === 'site' ? "r.type = 'site' AND r.site = ?" : "r.type = 'line' AND r.line = ?";
export const seriesParam = (key: EnergySeriesKey): string => (key.type === 'site' ? key.site : key.line);

/** The energy column summed for a series: a line's electricity, a site's baseload. */
export const electricityColumn = (key: EnergySeriesKey): string =>
  key.type === 'site' ? 'r.baseload_ukwh' : 'r.electricity_ukwh';

/**
 * The sums query's output columns (both dialects): per group of windows — item, the window start when read on its
 * own, site, estimated, basis — the count, first and last start, partial count, lowest coverage, and the three sums.
 */
export interface SumsRow {
  single: unknown;
  site: string;
  estimated: unknown;
  basis: string | null;
  n: unknown;
  first_ms: unknown;
  last_ms: unknown;
  partial: unknown;
  min_cov: number;
  e: unknown;
  gm: unknown;
  gk: unknown;
}

/** A sums row as an energy interval (integers arrive as bigint from SQLite, as strings from PostgreSQL). */
export function toInterval(r: SumsRow, windowMs: number, gas: boolean): EnergyInterval {
  const partial = Number(r.partial);
  return {
    startMs: Number(r.first_ms),
    endMs: Number(r.last_ms) + windowMs,
    windowMs,
    windows: Number(r.n),
    site: r.site,
    estimated: Number(r.estimated) !== 0,
    partial,
    minCoverage: partial > 0 ? Number(r.min_cov) : null,
    electricity: BigInt(r.e as bigint | string),
    gasM3: gas ? BigInt(r.gm as bigint | string) : 0n,
    gasKWh: gas ? BigInt(r.gk as bigint | string) : 0n,
    gasCvBasis: gas ? (r.basis as EnergyInterval['gasCvBasis']) : null,
  };
}

export const sortIntervals = (xs: EnergyInterval[]): EnergyInterval[] => xs.sort(compareIntervals);
