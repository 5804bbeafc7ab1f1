import type { LineEnergy } from './energy';
import type { CalcOptions } from './options';
import type { ReferenceSnapshot } from './reference';
import type { ReferenceIndex } from './reference-index';

/** Everything a calculation reads: it is a pure function of this. */
export interface EngineInput {
  snapshot: ReferenceSnapshot;
  /** What is derived from the snapshot alone, kept by the caller across calculations; built afresh when absent. */
  index?: ReferenceIndex;
  /** Energy per line id, for every line the calculation needs (a line without rollups: no intervals). */
  lines: Map<string, LineEnergy>;
  /** Baseload energy per site id, for the sites with rollups in the period. */
  sites: Map<string, LineEnergy>;
  options: CalcOptions;
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
