import type { ReferenceSnapshot } from './reference';
import type { ReferenceIndex } from './reference-index';
import type { Arithmetic } from './exact-sum';
import type { CalcOptions } from './options';

/**
 * One rollup window as the engine reads it (a line's or a site's): the engine owns this shape, stores map their rows
 * into it. Energy in kWh (gas also m³), times epoch ms.
 */
export interface RollupWindow {
  id: string;
  revision: number;
  type: 'line' | 'site' | 'meterCounter' | 'meterGauge';
  site: string;
  line: string | null;
  windowStartMs: number;
  windowMs: number;
  electricityKWh: number | null;
  gasM3: number | null;
  gasKWh: number | null;
  gasCvBasis: 'gross' | 'net' | null;
  baseloadKWh: number | null;
  unitsGood: number | null;
  unitsScrap: number | null;
  coverage: number;
  estimated: boolean;
}

/**
 * Whole windows of one line (or site) read as sums (the aggregated read, ADR 0145): the windows of the chosen length
 * lying wholly inside one interval between consecutive breakpoints (period ends, order starts and ends, factor and
 * mapping validity bounds), an interval covered by at most one order. Every summed value is a short number (see
 * `millionths`), so the sums are exact integer millionths.
 */
export interface WindowGroup {
  group: true;
  site: string;
  windowMs: number;
  /** Start of the first and of the last window, end of the last window (epoch ms). */
  windowStartMs: number;
  lastStartMs: number;
  endMs: number;
  count: number;
  /** Windows with coverage below 1 and the lowest such coverage; windows flagged estimated. */
  partial: number;
  minCoverage: number | null;
  estimated: number;
  /** Windows with electricity (line) or baseload (site) kWh > 0: count, first start, Σ millionths, Σ of the estimated ones. */
  elec: GroupSum;
  /** Line windows with gas kWh or m³ > 0: count, first start, Σ m³ and Σ kWh (millionths), windows per CV basis. */
  gasM3: GroupSum;
  gasKWh: GroupSum;
  gasBasis: { gross: number; net: number; none: number };
}
/** Windows with the quantity, first such window's start, Σ millionths, Σ of the estimated ones, values not short (sums void). */
export interface GroupSum {
  count: number;
  firstMs: number | null;
  units: number;
  estimatedUnits: number;
  notShort: number;
}

/** A line's (or site's) windows as rows and groups in start order, with the window length chosen for it. */
export interface AggregatedWindows {
  aggregated: true;
  windowMs: number | undefined;
  items: (RollupWindow | WindowGroup)[];
}

/** A line's (or site's) rollups as read: every row (the stored-result path), or aggregated (ad-hoc, ADR 0145). */
export type LineWindows = RollupWindow[] | AggregatedWindows;

/** Everything a calculation reads: it is a pure function of this. */
export interface EngineInput {
  snapshot: ReferenceSnapshot;
  /** What is derived from the snapshot alone, kept by the caller across calculations; built afresh when absent. */
  index?: ReferenceIndex;
  /** Line rollups per line id, for every line the calculation needs. */
  lineRollups: Map<string, LineWindows>;
  /** Site rollups per site id (baseload). */
  siteRollups: Map<string, LineWindows>;
  options: CalcOptions;
  /** How sums are formed (default: the current version); an audit record's own version when it is verified. */
  arithmetic?: Arithmetic;
}

/** Energy accumulated per factor: electricity keyed by mapping id, gas by factor id. Values kWh (gas m³ apart). */
export interface EnergyBuckets {
  electricity: Map<string, import('./decimal').Dec>;
  gasKWh: Map<string, import('./decimal').Dec>;
  gasM3: Map<string, import('./decimal').Dec>;
  estimatedKWh: import('./decimal').Dec;
}

/** Per-order emissions, kgCO2e, full precision as decimal strings. */
export interface OrderEmissions {
  materials: string;
  electricityLocation: string;
  electricityMarket: string;
  gas: string;
  overheadElectricityLocation: string;
  overheadElectricityMarket: string;
  overheadGas: string;
  direct: string;
}

export interface TraceNode {
  name: string;
  value: string;
  unit: string;
  formula?: string;
  children?: TraceNode[];
}
