import type { EmissionFactor } from './reference';
import { Dec, dec } from './decimal';
import { co2ePerUnit, type GwpSet } from './gwp';
import { convert } from './units';

export interface ActivityEmissions {
  activityInFactorUnit: Dec;
  co2ePerUnit: Dec;
  kgCO2e: Dec;
  formula: string;
}

/**
 * kgCO2e of an activity quantity: quantity converted to the factor's unit × Σ(gas kg per unit × GWP). Exact in
 * Decimal; e.g. 61,500 therm → 6,150 mmBtu × 52.0394 kgCO2e/mmBtu (AR4) = 320,042.31 kg.
 */
export function activityEmissions(
  quantity: Dec | number | string,
  unit: string,
  factor: EmissionFactor,
  gwpSet: GwpSet,
): ActivityEmissions {
  const q = convert(dec(quantity), unit, factor.unit);
  const perUnit = co2ePerUnit(factor.components, gwpSet);
  const kg = q.times(perUnit);
  return {
    activityInFactorUnit: q,
    co2ePerUnit: perUnit,
    kgCO2e: kg,
    formula: `${quantity} ${unit} = ${q} ${factor.unit} × ${perUnit} kgCO2e/${factor.unit} (${gwpSet})`,
  };
}
