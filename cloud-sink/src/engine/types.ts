import type { StoredRollup } from '../store/repository';
import type { ReferenceSnapshot } from '../reference/types';
import type { GwpSet } from './gwp';

/** How energy in a shared window (and overhead) is divided between orders. */
export type AllocationKey = 'units' | 'mass' | 'economicValue' | 'machineTime';
export const ALLOCATION_KEYS: AllocationKey[] = ['units', 'mass', 'economicValue', 'machineTime'];

export type ElectricityMethod = 'location' | 'market';

export interface CalcOptions {
  /** Period [periodStart, periodEnd), ISO-8601 UTC. */
  periodStart: string;
  periodEnd: string;
  /** Which electricity result is in the PCF total (both are always reported). */
  method: ElectricityMethod;
  gwpSet: GwpSet;
  /** Key sharing a window's energy between orders in it. */
  shareKey: AllocationKey;
  /** Key spreading overhead (idle/changeover energy, site baseload) over the period's orders. */
  overheadKey: AllocationKey;
  /** Rollup window length to use; default per line: the shortest present in the period. */
  windowMs?: number;
}

/** Everything a calculation reads: it is a pure function of this. */
export interface EngineInput {
  snapshot: ReferenceSnapshot;
  /** Line rollups per line id, for every line the calculation needs. */
  lineRollups: Map<string, StoredRollup[]>;
  /** Site rollups per site id (baseload). */
  siteRollups: Map<string, StoredRollup[]>;
  options: CalcOptions;
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
