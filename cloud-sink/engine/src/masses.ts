import { add, mul, type Dec } from './decimal';
import { GASES } from './gwp';

/**
 * Masses of greenhouse gases before characterisation, kg per gas (`CO2`, `CH4`, `N2O`, … as factors name their
 * components; `CO2e` for what is published already characterised, such as a supplier's PCF). Σ mass × GWP is the
 * kgCO2e beside it.
 */
export type GasMasses = Map<string, Dec>;

/** Adds `times` × each mass of `from` into `into` (gas by gas, in `from`'s order). */
export function addMasses(into: GasMasses, from: Iterable<[string, Dec]>, times?: Dec): void {
  const one = (kg: Dec, gas: string) => {
    const v = times === undefined ? kg : mul(kg, times);
    const cur = into.get(gas);
    into.set(gas, cur === undefined ? v : add(cur, v));
  };
  // a map's entries without an entry array each (the BOM walk adds masses on every line)
  if (from instanceof Map) (from as GasMasses).forEach(one);
  else for (const [gas, kg] of from) one(kg, gas);
}

/** Each mass of `m` divided by `by`. */
export function divideMasses(m: GasMasses, by: Dec): GasMasses {
  return new Map([...m].map(([gas, kg]) => [gas, kg.div(by)]));
}

/** The masses as decimal strings, gases in catalogue order (unknown names after them, sorted). */
export function massesRecord(m: GasMasses): Record<string, string> {
  const order = (g: string) => {
    const i = (GASES as readonly string[]).indexOf(g);
    return i < 0 ? GASES.length : i;
  };
  return Object.fromEntries(
    [...m].sort(([a], [b]) => order(a) - order(b) || (a < b ? -1 : 1)).map(([gas, kg]) => [gas, kg.toString()]),
  );
}
