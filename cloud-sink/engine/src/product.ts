import { PcfError } from '@pcf-edge/core';
import { biogenicTrace, hasBiogenic, resolveBiogenic, type ProductBiogenic } from './biogenic';
import { add, Dec, mul, ZERO } from './decimal';
import { directEmissions } from './direct';
import { addMasses, divideMasses, type GasMasses } from './masses';
import { materialsOf, node, type Materials } from './materials';
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
  /** The reference entities read so far: products and BOMs computed (or begun), direct emissions. */
  used: () => Map<string, RefEntity>;
} {
  const { snapshot, options } = calc.input;
  const memo = new Map<string, ProductResult>();
  const used = new Map<string, RefEntity>();
  /** Every product whose result was begun, in order (its entity and BOM are listed by `used()`). */
  const begun: string[] = [];
  const market = options.method === 'market';
  const spansByProduct = new Map<string, string[]>();
  for (const o of calc.spans) {
    const ids = spansByProduct.get(o.product);
    if (ids) ids.push(o.id);
    else spansByProduct.set(o.product, [o.id]);
  }
  /** The products whose materials are being computed, outermost first (for cycle detection); empty between calls. */
  const path: string[] = [];
  const materialsContext = {
    snapshot,
    options,
    book: calc.book,
    fromMs: calc.fromMs,
    path,
    product: (id: string) => result(id),
  };

  const result = (id: string): ProductResult => {
    const cached = memo.get(id);
    if (cached) return cached;
    const entity = snapshot.products.get(id);
    if (!entity) throw new PcfError('ERR_NOT_FOUND', `product '${id}' does not exist`, { product: id });
    begun.push(id);
    path.push(id);
    let m: Materials;
    try {
      m = materialsOf(materialsContext, id);
    } finally {
      path.pop();
    }
    const spanIds = spansByProduct.get(id);
    const orders = spanIds ? spanIds.map((o) => calc.orders.get(o)).filter((o) => o !== undefined) : [];
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
      const made = add(o.goodInPeriod, o.scrapInPeriod);
      const mat = mul(m.perUnit, made);
      t.materials = add(t.materials, mat);
      t.electricityLocation = add(t.electricityLocation, o.energy.electricityLocation);
      t.electricityMarket = add(t.electricityMarket, o.energy.electricityMarket);
      t.gas = add(t.gas, o.energy.gas);
      t.overheadElectricityLocation = add(t.overheadElectricityLocation, o.overhead.electricityLocation);
      t.overheadElectricityMarket = add(t.overheadElectricityMarket, o.overhead.electricityMarket);
      t.overheadGas = add(t.overheadGas, o.overhead.gas);
      t.direct = add(t.direct, o.direct);
      energyKWh.electricity = add(energyKWh.electricity, o.energy.electricityKWh);
      energyKWh.gas = add(energyKWh.gas, o.energy.gasKWh);
      energyKWh.overheadElectricity = add(energyKWh.overheadElectricity, o.overhead.electricityKWh);
      energyKWh.overheadGas = add(energyKWh.overheadGas, o.overhead.gasKWh);
      const energyKg = add(market ? o.energy.electricityMarket : o.energy.electricityLocation, o.energy.gas);
      const ohKg = add(market ? o.overhead.electricityMarket : o.overhead.electricityLocation, o.overhead.gas);
      const kwh = add(o.energy.electricityKWh, o.energy.gasKWh);
      const metered = kwh.isZero() ? energyKg : energyKg.times(kwh.minus(o.estimatedKWh)).div(kwh);
      primaryEnergy = add(add(add(primaryEnergy, metered), ohKg), mul(m.primary, made));
      addMasses(ghg, m.ghg, made);
      addMasses(ghg, orderGhg(o, market));
      good = add(good, o.goodInPeriod);
      scrap = add(scrap, o.scrapInPeriod);
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
    // the materials' warnings, then the order lines' and the prices', each once, in first-seen order
    const seen = new Set(m.warnings);
    if (orders.length > 0) {
      for (const b of calc.balances) if (orders.some((o) => o.line === b.line)) for (const w of b.warnings) seen.add(w);
      for (const o of orders) {
        for (const w of o.energy.warnings) seen.add(w);
        for (const w of o.overhead.warnings) seen.add(w);
      }
    }
    const warnings = [...seen];
    const elec = market ? t.electricityMarket : t.electricityLocation;
    const oh = add(market ? t.overheadElectricityMarket : t.overheadElectricityLocation, t.overheadGas);
    const total = add(add(add(add(t.materials, elec), t.gas), oh), t.direct);
    let perUnit: Dec, primaryPerUnit: Dec, formula: () => string, ghgPerUnitKg: GasMasses, perUnitTotals: ProductTotals;
    const unmade: (() => TraceNode)[] = [];
    if (produced) {
      perUnit = total.div(good);
      primaryPerUnit = primaryEnergy.div(good);
      ghgPerUnitKg = divideMasses(ghg, good);
      perUnitTotals = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.div(good)])) as ProductTotals;
      formula = () =>
        `(materials ${t.materials} + electricity ${elec} + gas ${t.gas} + overhead ${oh} + direct ${t.direct}) ÷ ${good} good units`;
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
      perUnit = add(m.perUnit, direct.value);
      perUnitTotals = { ...t, materials: m.perUnit, direct: direct.value };
      primaryPerUnit = m.primary;
      ghgPerUnitKg = new Map(m.ghg);
      addMasses(ghgPerUnitKg, direct.ghg);
      formula = () =>
        `materials ${m.perUnit} + direct ${direct.value} per ${entity.data.declaredUnit}: not produced in the period`;
      unmade.push(() =>
        node('direct process emissions per declared unit', direct.value, 'kgCO2e', undefined, direct.trace),
      );
      const unproduced = `${id}: no production in ${options.periodStart}/${options.periodEnd}; production energy, overhead and line-scope direct emissions not included`;
      warnings.push(unproduced);
      seen.add(unproduced);
    }
    const biogenic = resolveBiogenic(
      id,
      entity.data.declaredUnit,
      m.biogenic,
      entity.data.biogenicCarbonContentKgPerDeclaredUnit,
      produced ? { made: good.plus(scrap), good } : undefined,
    );
    for (const w of biogenic.warnings) if (!seen.has(w)) warnings.push(w);
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
          formula(),
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
  const listUsed = (): Map<string, RefEntity> => {
    const out = new Map<string, RefEntity>();
    for (const id of begun) {
      out.set(`products:${id}`, snapshot.products.get(id)!);
      const bom = snapshot.boms.get(id);
      if (bom) out.set(`boms:${id}`, bom);
    }
    for (const [k, e] of used) out.set(k, e);
    return out;
  };
  return { result, used: listUsed };
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
