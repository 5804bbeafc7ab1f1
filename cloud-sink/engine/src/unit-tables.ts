import type { CalcOptions } from './options';
import { UNITS_2026_11 } from './units-2026-11';
import { EXACT_UNITS, type Units } from './units';

/** The unit table a calculation converts with: exact unless its options name the frozen 2026-11 table. */
export function unitsFor(options: Pick<CalcOptions, 'units'>): Units {
  return options.units === '2026-11' ? UNITS_2026_11 : EXACT_UNITS;
}
