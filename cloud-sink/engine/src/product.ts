import { PcfError } from '@pcf-edge/core';
import { biogenicTrace, hasBiogenic, resolveBiogenic, type ProductBiogenic } from './biogenic';
import { Dec, ZERO } from './decimal';
import { directEmissions } from './direct';
import { addMasses, divideMasses, type GasMasses } from './masses';
import { materialsOf, node } from './materials';
import type { OrderResult, PeriodParts } from './period-parts';
import type { RefEntity } from './reference';
import type { TraceNode } from './types';

export interface ProductTotals {
  materials: Dec;
  electricityLocation: Dec;
  electricityMarket: Dec;
  gas: Dec;
  overheadElectricityLocation: Dec;
  overheadElectricityMarket: Dec;
  overheadGas: Dec;
  direct: Dec;
}

export interface ProductResult {
  product: string;
  declaredUnit: string;
  /**
   * True when the product has orders with good units in the period; otherwise its PCF is its materials plus its
   * product-scope direct emissions per declared unit (no production energy, overhead or line-scope direct emissions).
   */
  produced: boolean;
  orders: string[];
  goodUnits: Dec;
  scrapUnits: Dec;
  materialsPerUnit: Dec;
  /** `materialsPerUnit` as masses per gas before GWP. */
  materialsGhgPerUnitKg: GasMasses;
  totals: ProductTotals;
  /**
   * The same parts per declared unit: `totals` ÷ good units when produced; when not, the materials and product-scope
   * direct emissions that make up its PCF (the rest 0), so the parts always add up to `perUnit`.
   */
  perUnitTotals: ProductTotals;
  /** Total of the period's output with the chosen electricity method, kgCO2e. */
  total: Dec;
  /** kgCO2e per declared unit. */
  perUnit: Dec;
  /** Part of perUnit from metered (non-estimated) energy and supplier-primary data. */
  primaryPerUnit: Dec;
  energyKWh: { electricity: Dec; gas: Dec; overheadElectricity: Dec; overheadGas: Dec };
  /** `total` and `perUnit` as masses per gas before GWP (chosen electricity method). */
  ghgKg: GasMasses;
  ghgPerUnitKg: GasMasses;
  /** Biogenic carbon content (kg C) and, where determinable, biogenic CO2 flows per declared unit (ADR 0247). */
  biogenic: ProductBiogenic;
  warnings: string[];
  /** The derivation tree (built on first call: formulas are only formatted when someone reads them). */
  trace(): TraceNode;
}

/** Product results of a period: BOM explosion (materials per declared unit) plus the product's orders. Memoized. */
export function createProductCalculator(calc: PeriodParts): {
  result: (id: string) => ProductResult;
  used: Map<string, RefEntity>;
} {
  const { snapshot, options } = calc.input;
  const memo = new Map<string, ProductResult>();
  const used = new Map<string, RefEntity>();
  const market = options.method === 'market';
  const spansByProduct = new Map<string, string[]>();
  for (const o of calc.spans) {
    const ids = spansByProduct.get(o.product);
    if (ids) ids.push(o.id);
    else spansByProduct.set(o.product, [o.id]);
  }
  const materialsContext = {
    snapshot,
    options,
    book: calc.book,
    fromMs: calc.fromMs,
    used,
    product: (id: string, stack: string[]) => result(id, stack),
  };

  const result = (id: string, stack: string[] = []): ProductResult => {
    const cached = memo.get(id);
    if (cached) return cached;
    const entity = snapshot.products.get(id);
    if (!entity) throw new PcfError('ERR_NOT_FOUND', `product '${id}' does not exist`, { product: id });
    used.set(`products:${id}`, entity);
    const m = materialsOf(materialsContext, id, [...stack, id]);
    const orders = (spansByProduct.get(id) ?? []).map((o) => calc.orders.get(o)).filter((o) => o !== undefined);
    const t: ProductTotals = {
      materials: ZERO,
      electricityLocation: ZERO,
      electricityMarket: ZERO,
      gas: ZERO,
      overheadElectricityLocation: ZERO,
      overheadElectricityMarket: ZERO,
      overheadGas: ZERO,
      direct: ZERO,
    };
    let good = ZERO,
      scrap = ZERO,
      primaryEnergy = ZERO;
    const energyKWh = { electricity: ZERO, gas: ZERO, overheadElectricity: ZERO, overheadGas: ZERO };
    const ghg: GasMasses = new Map();
    const orderNodes: (() => TraceNode)[] = [];
    for (const o of orders) {
      const made = o.goodInPeriod.plus(o.scrapInPeriod);
      const mat = m.perUnit.times(made);
      t.materials = t.materials.plus(mat);
      t.electricityLocation = t.electricityLocation.plus(o.energy.electricityLocation);
      t.electricityMarket = t.electricityMarket.plus(o.energy.electricityMarket);
      t.gas = t.gas.plus(o.energy.gas);
      t.overheadElectricityLocation = t.overheadElectricityLocation.plus(o.overhead.electricityLocation);
      t.overheadElectricityMarket = t.overheadElectricityMarket.plus(o.overhead.electricityMarket);
      t.overheadGas = t.overheadGas.plus(o.overhead.gas);
      t.direct = t.direct.plus(o.direct);
      energyKWh.electricity = energyKWh.electricity.plus(o.energy.electricityKWh);
      energyKWh.gas = energyKWh.gas.plus(o.energy.gasKWh);
      energyKWh.overheadElectricity = energyKWh.overheadElectricity.plus(o.overhead.electricityKWh);
      energyKWh.overheadGas = energyKWh.overheadGas.plus(o.overhead.gasKWh);
      const energyKg = (market ? o.energy.electricityMarket : o.energy.electricityLocation).plus(o.energy.gas);
      const ohKg = (market ? o.overhead.electricityMarket : o.overhead.electricityLocation).plus(o.overhead.gas);
      const kwh = o.energy.electricityKWh.plus(o.energy.gasKWh);
      const metered = kwh.isZero() ? energyKg : energyKg.times(kwh.minus(o.estimatedKWh)).div(kwh);
      primaryEnergy = primaryEnergy.plus(metered).plus(ohKg).plus(m.primary.times(made));
      addMasses(ghg, m.ghg, made);
      addMasses(ghg, orderGhg(o, market));
      good = good.plus(o.goodInPeriod);
      scrap = scrap.plus(o.scrapInPeriod);
      orderNodes.push(() =>
        node(
          `order ${o.id} on ${o.line}`,
          mat.plus(energyKg).plus(ohKg).plus(o.direct),
          'kgCO2e',
          `materials ${mat} + energy ${energyKg} + overhead ${ohKg} + direct ${o.direct}; good ${o.goodInPeriod}, scrap ${o.scrapInPeriod}`,
          [
            node(
              'materials',
              mat,
              'kgCO2e',
              `${m.perUnit} kgCO2e/unit × (good ${o.goodInPeriod} + scrap ${o.scrapInPeriod})`,
            ),
            node(
              'energy',
              energyKg,
              'kgCO2e',
              `${o.energy.electricityKWh} kWh electricity, ${o.energy.gasKWh} kWh gas`,
              o.energy.trace(),
            ),
            node(
              'overhead',
              ohKg,
              'kgCO2e',
              `${o.overhead.electricityKWh} kWh electricity, ${o.overhead.gasKWh} kWh gas (${options.overheadKey})`,
              o.overhead.trace(),
            ),
            node('direct process emissions', o.direct, 'kgCO2e', undefined, o.directTrace),
          ],
        ),
      );
    }
    const produced = orders.length > 0 && good.gt(0);
    const lineNotes = calc.balances.filter((b) => orders.some((o) => o.line === b.line)).flatMap((b) => b.warnings);
    const pricingNotes = orders.flatMap((o) => [...o.energy.warnings, ...o.overhead.warnings]);
    const warnings = [...new Set([...m.warnings, ...lineNotes, ...pricingNotes])];
    const elec = market ? t.electricityMarket : t.electricityLocation;
    const oh = (market ? t.overheadElectricityMarket : t.overheadElectricityLocation).plus(t.overheadGas);
    const total = t.materials.plus(elec).plus(t.gas).plus(oh).plus(t.direct);
    let perUnit: Dec, primaryPerUnit: Dec, formula: string, ghgPerUnitKg: GasMasses, perUnitTotals: ProductTotals;
    const unmade: (() => TraceNode)[] = [];
    if (produced) {
      perUnit = total.div(good);
      primaryPerUnit = primaryEnergy.div(good);
      ghgPerUnitKg = divideMasses(ghg, good);
      perUnitTotals = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.div(good)])) as ProductTotals;
      formula = `(materials ${t.materials} + electricity ${elec} + gas ${t.gas} + overhead ${oh} + direct ${t.direct}) ÷ ${good} good units`;
    } else {
      // the method: materials plus direct emissions; with nothing made, only those per declared unit apply
      const direct = directEmissions(
        snapshot,
        options,
        (d) =>
          d.scope === 'product' && d.ref === id && d.per === 'declaredUnit'
            ? { quantity: new Dec(1), unit: 'units' }
            : undefined,
        used,
      );
      perUnit = m.perUnit.plus(direct.value);
      perUnitTotals = { ...t, materials: m.perUnit, direct: direct.value };
      primaryPerUnit = m.primary;
      ghgPerUnitKg = new Map(m.ghg);
      addMasses(ghgPerUnitKg, direct.ghg);
      formula = `materials ${m.perUnit} + direct ${direct.value} per ${entity.data.declaredUnit}: not produced in the period`;
      unmade.push(() =>
        node('direct process emissions per declared unit', direct.value, 'kgCO2e', undefined, direct.trace),
      );
      warnings.push(
        `${id}: no production in ${options.periodStart}/${options.periodEnd}; production energy, overhead and line-scope direct emissions not included`,
      );
    }
    const biogenic = resolveBiogenic(
      id,
      entity.data.declaredUnit,
      m.biogenic,
      entity.data.biogenicCarbonContentKgPerDeclaredUnit,
      produced ? { made: good.plus(scrap), good } : undefined,
    );
    warnings.push(...biogenic.warnings.filter((w) => !warnings.includes(w)));
    const biogenicNode = hasBiogenic(biogenic) ? [() => biogenicTrace(biogenic, entity.data.declaredUnit)] : [];
    let traceMemo: TraceNode | undefined;
    const r: ProductResult = {
      product: id,
      declaredUnit: entity.data.declaredUnit,
      produced,
      orders: orders.map((o) => o.id),
      goodUnits: good,
      scrapUnits: scrap,
      materialsPerUnit: m.perUnit,
      materialsGhgPerUnitKg: m.ghg,
      totals: t,
      perUnitTotals,
      total,
      perUnit,
      primaryPerUnit,
      energyKWh,
      ghgKg: ghg,
      ghgPerUnitKg,
      biogenic,
      warnings,
      trace: () => {
        traceMemo ??= node(
          `PCF ${id} per ${entity.data.declaredUnit}`,
          perUnit,
          `kgCO2e/${entity.data.declaredUnit}`,
          formula,
          [
            node(
              'materials per declared unit (BOM)',
              m.perUnit,
              `kgCO2e/${entity.data.declaredUnit}`,
              'Σ BOM lines',
              m.trace.map((f) => f()),
            ),
            ...biogenicNode.map((f) => f()),
            ...unmade.map((f) => f()),
            ...orderNodes.map((f) => f()),
          ],
        );
        return traceMemo;
      },
    };
    memo.set(id, r);
    return r;
  };
  return { result: (id) => result(id), used };
}

/** An order's emissions as masses per gas: energy and overhead (chosen electricity method, gas fuel) and direct. */
function orderGhg(o: OrderResult, market: boolean): GasMasses {
  const out: GasMasses = new Map();
  for (const p of [o.energy, o.overhead]) {
    addMasses(out, market ? p.ghg.electricityMarket : p.ghg.electricityLocation);
    addMasses(out, p.ghg.gas);
  }
  addMasses(out, o.directGhg);
  return out;
}
