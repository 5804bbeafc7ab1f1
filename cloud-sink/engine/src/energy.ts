import { Dec } from './decimal';

/**
 * The one quantity of energy and volume the engine reads: exact integers of micro-units (µkWh = 1 mWh, µm³ = 1 cm³).
 * Rollups are decoded into it once, at ingest (`toMicro`), and stored as integers, so sums are associative: one
 * window and a SQL sum over many give the same digits by construction.
 */
export const MICRO_PER_UNIT = 1_000_000;
/** The largest micro-unit value of one window (2^53 − 1: exact as a JS number, and in a 64-bit SQL integer). */
export const MAX_MICRO = Number.MAX_SAFE_INTEGER;

/**
 * `value` (kWh or m³, a JSON number as received) in integer micro-units: the decimal the number denotes (its shortest
 * representation, as decimal.js reads it) rounded half-up to 6 decimals; undefined when it is negative, not finite
 * or above MAX_MICRO. Fast path: `value × 10^6` in doubles is within 2 ulps of the exact decimal product, so its
 * nearest integer is the answer unless it lies that close to a half; then decimal.js decides.
 */
export function toMicro(value: number): number | undefined {
  if (!(value >= 0)) return undefined;
  const p = value * MICRO_PER_UNIT;
  if (!(p <= MAX_MICRO + 2)) return undefined;
  if (Math.abs(p - Math.floor(p) - 0.5) > p * 2 ** -50) return Math.round(p) || 0;
  const n = Number(new Dec(value).times(MICRO_PER_UNIT).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toFixed(0));
  return n <= MAX_MICRO ? n : undefined;
}

/** Micro-units as the Dec of kWh (m³) they denote, exactly. */
export const fromMicro = (micro: bigint | number): Dec => new Dec(`${micro}e-6`);

/**
 * Energy of one line (or of one site's baseload meters) over consecutive windows of one length — one window, or a
 * group of many read as sums — as the engine reads it. Quantities in micro-units (see `toMicro`).
 */
export interface EnergyInterval {
  /** Start of the first window and end of the last (epoch ms); `windows` windows of `windowMs` each. */
  startMs: number;
  endMs: number;
  windowMs: number;
  windows: number;
  /** The site the rollups name: its electricity mapping prices the energy. */
  site: string;
  /** Whether the windows' values are estimated (a group holds windows of one kind). */
  estimated: boolean;
  /** Windows with coverage below 1, and the lowest coverage among them (null when there are none). */
  partial: number;
  minCoverage: number | null;
  /** Σ electricity (a site's: its baseload), Σ gas volume (µm³), Σ gas energy (µkWh). */
  electricity: bigint;
  gasM3: bigint;
  gasKWh: bigint;
  /** Calorific-value basis of the gas energy (a group holds windows of one basis). */
  gasCvBasis: 'gross' | 'net' | null;
}

/** A line's (or site's) energy in a period: intervals of the window length used, in start order. */
export interface LineEnergy {
  /** The window length read (undefined when the period has no rollup). */
  windowMs: number | undefined;
  intervals: readonly EnergyInterval[];
}

/** One window's energy, quantities in micro-units. */
export interface EnergyWindow {
  startMs: number;
  windowMs: number;
  site: string;
  estimated: boolean;
  coverage: number;
  electricity: number;
  gasM3: number;
  gasKWh: number;
  gasCvBasis: 'gross' | 'net' | null;
}

/** The order intervals are read in: by start, then site (ties only between rollups of a line naming two sites). */
export function compareIntervals(a: EnergyInterval, b: EnergyInterval): number {
  return a.startMs - b.startMs || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0);
}

/** One window as an interval of one. */
export function windowInterval(w: EnergyWindow): EnergyInterval {
  return {
    startMs: w.startMs,
    endMs: w.startMs + w.windowMs,
    windowMs: w.windowMs,
    windows: 1,
    site: w.site,
    estimated: w.estimated,
    partial: w.coverage < 1 ? 1 : 0,
    minCoverage: w.coverage < 1 ? w.coverage : null,
    electricity: BigInt(w.electricity),
    gasM3: BigInt(w.gasM3),
    gasKWh: BigInt(w.gasKWh),
    gasCvBasis: w.gasCvBasis,
  };
}

/**
 * A line's windows as its energy, window by window: those of the forced length, else of the shortest length present
 * (the finest time resolution, ADR 0031).
 */
export function lineEnergy(windows: readonly EnergyWindow[], forcedWindowMs?: number): LineEnergy {
  let windowMs = forcedWindowMs;
  if (windowMs === undefined)
    for (const w of windows) if (windowMs === undefined || w.windowMs < windowMs) windowMs = w.windowMs;
  return {
    windowMs,
    intervals: windows
      .filter((w) => w.windowMs === windowMs)
      .map(windowInterval)
      .sort(compareIntervals),
  };
}

/** Micro-units as the nearest JS number of kWh (m³): for display and plausibility checks, never for the PCF arithmetic. */
export const microToNumber = (micro: number | null): number | null => (micro === null ? null : micro / MICRO_PER_UNIT);
