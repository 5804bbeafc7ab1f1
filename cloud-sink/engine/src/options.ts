import type { GwpSet } from './gwp';
import type { UnitsName } from './units';

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
  /**
   * Unit table: absent or `exact` for the exact catalogue (ADR 0240); `2026-11` only to recompute records made
   * before it (their audit bodies carry no `units`).
   */
  units?: UnitsName;
}
