import type { ReferenceSnapshot } from './reference';
import { Dec, ZERO } from './decimal';
import type { FactorBook } from './factors';
import type { Buckets } from './allocation';
import { addMasses, type GasMasses } from './masses';
import type { TraceNode } from './types';
import type { ElectricityMethod } from './options';
import { PcfError } from '@pcf-edge/core';
import type { ElectricityMapping, EmissionFactor } from './reference';
import { priceBySplit, splitTrace, type SiteSupply } from './supply';

export interface Priced {
  electricityKWh: Dec;
  gasKWh: Dec;
  gasM3: Dec;
  electricityLocation: Dec;
  electricityMarket: Dec;
  gas: Dec;
  /** The same emissions as masses per gas before GWP: electricity by each method, and the gas fuel. */
  ghg: { electricityLocation: GasMasses; electricityMarket: GasMasses; gas: GasMasses };
  /** What the figures rest on that a reader must know (a location factor standing in for a missing market one). */
  warnings: string[];
  /** The pricing formulas (formatted on first call: most calculations never show an order's derivation). */
  trace(): TraceNode[];
}

/**
 * kgCO2e of energy buckets: electricity kWh × location factor and, separately, × market factor (from the site's
 * supply mix when one applies, else from its mapping); gas quantity × gas factor (converted to the factor's unit).
 * Factors are CO2e per unit under the GWP set. `supply`: per site, what its supply mix says for the period.
 */
export function priceBuckets(
  b: Buckets,
  snapshot: ReferenceSnapshot,
  book: FactorBook,
  method: ElectricityMethod,
  supply: ReadonlyMap<string, SiteSupply> = new Map(),
): Priced {
  const nodes: (() => TraceNode[])[] = [];
  let traced: TraceNode[] | undefined;
  const p: Priced = {
    electricityKWh: ZERO,
    gasKWh: ZERO,
    gasM3: ZERO,
    electricityLocation: ZERO,
    electricityMarket: ZERO,
    gas: ZERO,
    ghg: { electricityLocation: new Map(), electricityMarket: new Map(), gas: new Map() },
    warnings: [],
    trace: () => (traced ??= nodes.flatMap((f) => f())),
  };
  for (const [key, qty] of b) {
    const id = key.slice(2);
    if (key.startsWith('e:')) {
      const m = snapshot.electricity.get(id)!.data;
      const loc = book.factorById(m.locationFactorId);
      const inLoc = book.units.convert(qty, 'kWh', loc.unit);
      const l = inLoc.times(book.co2ePerUnit(loc));
      addMasses(p.ghg.electricityLocation, book.gasesPerUnit(loc), inLoc);
      p.electricityKWh = p.electricityKWh.plus(qty);
      p.electricityLocation = p.electricityLocation.plus(l);
      const locNode = (): TraceNode => ({
        name: `electricity location-based (${loc.id})`,
        value: l.toString(),
        unit: 'kgCO2e',
        formula: `${qty} kWh → ${loc.unit} × ${book.co2ePerUnit(loc)} kgCO2e/${loc.unit}`,
      });
      const s = supply.get(m.site);
      if (s && 'note' in s && !p.warnings.includes(s.note)) p.warnings.push(s.note);
      if (s && 'split' in s) {
        const split = s.split;
        const k = priceBySplit(split, qty);
        addMasses(p.ghg.electricityMarket, k.gases);
        p.electricityMarket = p.electricityMarket.plus(k.kg);
        nodes.push(() => [
          locNode(),
          {
            name: `electricity market-based (supply mix ${split.mix})`,
            value: k.kg.toString(),
            unit: 'kgCO2e',
            formula: `${qty} kWh × ${split.totalKg} kgCO2e ÷ ${split.consumptionKWh} kWh (site ${split.site} in the period)`,
            children: splitTrace(split),
          },
        ]);
        continue;
      }
      const mkt = marketFactor(m, loc, book, method, p.warnings);
      const inMkt = book.units.convert(qty, 'kWh', mkt.unit);
      const k = inMkt.times(book.co2ePerUnit(mkt));
      addMasses(p.ghg.electricityMarket, book.gasesPerUnit(mkt), inMkt);
      p.electricityMarket = p.electricityMarket.plus(k);
      nodes.push(() => [
        locNode(),
        {
          name: `electricity market-based (${mkt.id}, ${m.marketInstrument ?? 'none: the location factor stands in'})`,
          value: k.toString(),
          unit: 'kgCO2e',
          formula: `${qty} kWh → ${mkt.unit} × ${book.co2ePerUnit(mkt)} kgCO2e/${mkt.unit}`,
        },
      ]);
    } else {
      const f = book.factorById(id);
      const from = book.units.dimensionOf(f.unit) === 'volume' ? 'm3' : 'kWh';
      const inF = book.units.convert(qty, from, f.unit);
      const g = inF.times(book.co2ePerUnit(f));
      addMasses(p.ghg.gas, book.gasesPerUnit(f), inF);
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

/**
 * The mapping's market factor. Without one, a market-based calculation is refused; a location-based one reports its
 * market figures with the location factor standing in, and a warning says so.
 */
function marketFactor(
  m: ElectricityMapping,
  loc: EmissionFactor,
  book: FactorBook,
  method: ElectricityMethod,
  warnings: string[],
): EmissionFactor {
  if (m.marketFactorId !== undefined) return book.factorById(m.marketFactorId);
  if (method === 'market')
    throw new PcfError(
      'ERR_FACTOR_MISSING',
      `electricity mapping ${m.id} of site ${m.site} has no market factor (marketFactorId, marketInstrument): give one, or calculate location-based`,
      { mapping: m.id, site: m.site },
    );
  const note = `electricity mapping ${m.id} of site ${m.site} has no market factor: the market-based figures use the location factor ${loc.id}`;
  if (!warnings.includes(note)) warnings.push(note);
  return loc;
}
