/**
 * FROZEN — Pricing of cloud-sink at cc21e43, kept only so that audit records of schema pcf-edge.audit/1 still verify
 * (ADR 0180). Never changed: a change here would make those records unverifiable.
 */
import { UNITS_2026_11, ZERO, type Dec, type ReferenceSnapshot, type TraceNode } from '@pcf-edge/pcf-engine';

const { convert, dimensionOf } = UNITS_2026_11;
import type { Buckets } from './allocation';
import type { FactorBook } from './factors';

export interface Priced {
  electricityKWh: Dec;
  gasKWh: Dec;
  gasM3: Dec;
  electricityLocation: Dec;
  electricityMarket: Dec;
  gas: Dec;
  /** The pricing formulas (formatted on first call: most calculations never show an order's derivation). */
  trace(): TraceNode[];
}

/**
 * kgCO2e of energy buckets: electricity kWh × location factor and, separately, × market factor (from the site's
 * mapping); gas quantity × gas factor (converted to the factor's unit). Factors are CO2e per unit under the GWP set.
 */
export function priceBuckets(b: Buckets, snapshot: ReferenceSnapshot, book: FactorBook): Priced {
  const nodes: (() => TraceNode[])[] = [];
  let traced: TraceNode[] | undefined;
  const p: Priced = {
    electricityKWh: ZERO,
    gasKWh: ZERO,
    gasM3: ZERO,
    electricityLocation: ZERO,
    electricityMarket: ZERO,
    gas: ZERO,
    trace: () => (traced ??= nodes.flatMap((f) => f())),
  };
  for (const [key, qty] of b) {
    const id = key.slice(2);
    if (key.startsWith('e:')) {
      const m = snapshot.electricity.get(id)!.data;
      const loc = book.factorById(m.locationFactorId),
        mkt = book.factorById(m.marketFactorId!); // required when these records were made
      const l = convert(qty, 'kWh', loc.unit).times(book.co2ePerUnit(loc));
      const k = convert(qty, 'kWh', mkt.unit).times(book.co2ePerUnit(mkt));
      p.electricityKWh = p.electricityKWh.plus(qty);
      p.electricityLocation = p.electricityLocation.plus(l);
      p.electricityMarket = p.electricityMarket.plus(k);
      nodes.push(() => [
        {
          name: `electricity location-based (${loc.id})`,
          value: l.toString(),
          unit: 'kgCO2e',
          formula: `${qty} kWh → ${loc.unit} × ${book.co2ePerUnit(loc)} kgCO2e/${loc.unit}`,
        },
        {
          name: `electricity market-based (${mkt.id}, ${m.marketInstrument})`,
          value: k.toString(),
          unit: 'kgCO2e',
          formula: `${qty} kWh → ${mkt.unit} × ${book.co2ePerUnit(mkt)} kgCO2e/${mkt.unit}`,
        },
      ]);
    } else {
      const f = book.factorById(id);
      const from = dimensionOf(f.unit) === 'volume' ? 'm3' : 'kWh';
      const g = convert(qty, from, f.unit).times(book.co2ePerUnit(f));
      if (from === 'm3') p.gasM3 = p.gasM3.plus(qty);
      else p.gasKWh = p.gasKWh.plus(qty);
      p.gas = p.gas.plus(g);
      nodes.push(() => [
        {
          name: `gas (${f.id}, ${f.energyBasis ?? 'volume'})`,
          value: g.toString(),
          unit: 'kgCO2e',
          formula: `${qty} ${from} → ${f.unit} × ${book.co2ePerUnit(f)} kgCO2e/${f.unit}`,
        },
      ]);
    }
  }
  return p;
}
