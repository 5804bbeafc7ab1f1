import { PcfError } from '@pcf-edge/core';
import { dec, type Dec } from './decimal';
import type { Product } from './reference';
import { dimensionOf } from './units';

/**
 * Allocation by `units` adds the output of the orders that share a pool of energy (a window, a line's idle energy,
 * a site's baseload). Each order's key is its good quantity in its declared unit's dimension base (`computeSpans`),
 * so l and m3, or kWh and MJ, add exactly. Kilograms and pieces (or megajoules) do not add: such a pool is shared by
 * mass when every product in it declares one (kg products by their quantity, others by massKgPerDeclaredUnit — the
 * declared conversion), and refused otherwise, naming the products and their units.
 */
export type UnitsPool = { by: 'declared' } | { by: 'mass' } | { unlike: string };

/** What of an order (an `OrderSpan`) sharing by key needs. */
export interface KeyedOrder {
  product: string;
  keyRate: Dec;
  keyInPeriod: Dec;
  keyUnit?: string;
  massKeyRate?: Dec;
  massKeyInPeriod?: Dec;
}

/** An order's key inside the period (the default key of `spread`). */
export const inPeriod = (o: KeyedOrder): Dec => o.keyInPeriod;

/** How the orders of one pool share by key `units` (`declared` also when the key is another one). */
export function unitsPool(orders: readonly KeyedOrder[]): UnitsPool {
  let dim: string | undefined;
  let mixed = false;
  for (const o of orders) {
    if (o.keyUnit === undefined) continue;
    const d = dimensionOf(o.keyUnit);
    if (dim === undefined) dim = d;
    else if (d !== dim) mixed = true;
  }
  if (!mixed) return { by: 'declared' };
  if (orders.every((o) => o.massKeyRate !== undefined)) return { by: 'mass' };
  const seen = new Map<string, string>();
  for (const o of orders)
    seen.set(o.product, `${o.keyUnit}${o.massKeyRate === undefined ? ' without massKgPerDeclaredUnit' : ''}`);
  return { unlike: [...seen].map(([product, unit]) => `${product} in ${unit}`).join(', ') };
}

/** ERR_UNIT: allocation by `units` would add unlike quantities (`what` from `unitsPool`) in `where`. */
export function unlikeUnitsError(what: string, where: string): PcfError {
  return new PcfError(
    'ERR_UNIT',
    `allocation key 'units' cannot share ${where} between unlike units (${what}): declare each product's massKgPerDeclaredUnit, or choose the mass, economicValue or machineTime key`,
    { where, products: what },
  );
}

/** The key rate of an order in a pool shared `by` mass or by declared units. */
export const rateIn = (pool: UnitsPool, o: KeyedOrder): Dec =>
  'by' in pool && pool.by === 'mass' ? o.massKeyRate! : o.keyRate;

/**
 * Key `units` of an order of `p`: its declared unit (canonical) and, where a conversion to mass is declared (a mass
 * unit, or massKgPerDeclaredUnit), its good quantity in kg per ms of its full span.
 */
export function unitsKeyFields(
  p: Product,
  keyUnit: string,
  inBase: string,
  good: Dec,
  fullMs: number,
): { keyUnit: string; massKeyRate?: Dec } {
  const kgPerUnit =
    dimensionOf(keyUnit) === 'mass'
      ? dec(inBase)
      : p.massKgPerDeclaredUnit === undefined
        ? undefined
        : dec(p.massKgPerDeclaredUnit);
  return kgPerUnit === undefined ? { keyUnit } : { keyUnit, massKeyRate: good.times(kgPerUnit).div(fullMs) };
}
