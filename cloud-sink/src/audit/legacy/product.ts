/**
 * FROZEN — Product results of cloud-sink at cc21e43, kept only so that audit records of schema pcf-edge.audit/1 still verify
 * (ADR 0180). Never changed: a change here would make those records unverifiable.
 */
import { PcfError } from '@pcf-edge/core';
import { bomCycleError, Dec, UNITS_2026_11, ZERO, type Bom, type TraceNode } from '@pcf-edge/pcf-engine';
import type { PeriodParts } from './period';

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
  /** True when the product has orders in the period; otherwise the result is materials (+ direct) per unit only. */
  produced: boolean;
  orders: string[];
  goodUnits: Dec;
  scrapUnits: Dec;
  materialsPerUnit: Dec;
  totals: ProductTotals;
  /** Total of the period's output with the chosen electricity method, kgCO2e. */
  total: Dec;
  /** kgCO2e per declared unit. */
  perUnit: Dec;
  /** Part of perUnit from metered (non-estimated) energy and supplier-primary data. */
  primaryPerUnit: Dec;
  energyKWh: { electricity: Dec; gas: Dec; overheadElectricity: Dec; overheadGas: Dec };
  warnings: string[];
  /** The derivation tree (built on first call: formulas are only formatted when someone reads them). */
  trace(): TraceNode;
}

const node = (name: string, value: Dec, unit: string, formula?: string, children?: TraceNode[]): TraceNode => ({
  name,
  value: value.toString(),
  unit,
  ...(formula ? { formula } : {}),
  ...(children && children.length > 0 ? { children } : {}),
});

/** Product results of a period: BOM explosion (materials per declared unit) plus the product's orders. Memoized. */
export function createProductCalculator(calc: PeriodParts): (id: string) => ProductResult {
  const { snapshot, options } = calc.input;
  const memo = new Map<string, ProductResult>();
  const market = options.method === 'market';
  const spansByProduct = new Map<string, string[]>();
  for (const o of calc.spans) {
    const ids = spansByProduct.get(o.product);
    if (ids) ids.push(o.id);
    else spansByProduct.set(o.product, [o.id]);
  }

  const materials = (
    id: string,
    stack: string[],
  ): { perUnit: Dec; primary: Dec; trace: (() => TraceNode)[]; warnings: string[] } => {
    const bomEntity = snapshot.boms.get(id);
    if (!bomEntity) return { perUnit: ZERO, primary: ZERO, trace: [], warnings: [] };
    let perUnit = ZERO,
      primary = ZERO;
    const trace: (() => TraceNode)[] = [];
    const warnings: string[] = [];
    for (const l of (bomEntity.data as Bom).lines) {
      const qty = new Dec(l.quantity);
      switch (l.componentKind) {
        case 'product': {
          if (stack.includes(l.component))
            throw bomCycleError([...stack.slice(stack.indexOf(l.component)), l.component]);
          const sub = result(l.component, stack);
          const q = UNITS_2026_11.convert(qty, l.unit, UNITS_2026_11.canonical(sub.declaredUnit)!);
          const v = q.times(sub.perUnit);
          perUnit = perUnit.plus(v);
          primary = primary.plus(q.times(sub.primaryPerUnit));
          warnings.push(...sub.warnings);
          trace.push(() =>
            node(
              `product ${l.component}`,
              v,
              'kgCO2e',
              `${qty} ${l.unit} = ${q} ${sub.declaredUnit} × ${sub.perUnit} kgCO2e/${sub.declaredUnit}`,
              [sub.trace()],
            ),
          );
          break;
        }
        case 'material': {
          const f = calc.book.factor(l.component, l.region, calc.fromMs);
          const q = UNITS_2026_11.convert(qty, l.unit, f.unit);
          const v = q.times(calc.book.co2ePerUnit(f));
          perUnit = perUnit.plus(v);
          trace.push(() =>
            node(
              `material ${l.component} (${f.id} ${f.source} ${f.version})`,
              v,
              'kgCO2e',
              `${qty} ${l.unit} = ${q} ${f.unit} × ${calc.book.co2ePerUnit(f)} kgCO2e/${f.unit} (${options.gwpSet})`,
            ),
          );
          break;
        }
        case 'supplierProduct': {
          const s = calc.book.supplierPcf(l.component, calc.fromMs);
          const q = UNITS_2026_11.convert(qty, l.unit, s.pcf.declaredUnit);
          const v = q.times(s.pcf.pCfExcludingBiogenic);
          perUnit = perUnit.plus(v);
          primary = primary.plus(v.times(s.pcf.primaryDataShare ?? 0).div(100));
          trace.push(() =>
            node(
              `supplier product ${l.component} (PACT ${s.id} v${s.version}, ${s.companyName})`,
              v,
              'kgCO2e',
              `${qty} ${l.unit} = ${q} ${s.pcf.declaredUnit} × ${s.pcf.pCfExcludingBiogenic} kgCO2e/${s.pcf.declaredUnit}`,
            ),
          );
          break;
        }
      }
    }
    return { perUnit, primary, trace, warnings };
  };

  const result = (id: string, stack: string[] = []): ProductResult => {
    const cached = memo.get(id);
    if (cached) return cached;
    const entity = snapshot.products.get(id);
    if (!entity) throw new PcfError('ERR_NOT_FOUND', `product '${id}' does not exist`, { product: id });
    const m = materials(id, [...stack, id]);
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
    const warnings = [...new Set([...m.warnings, ...lineNotes])];
    const elec = market ? t.electricityMarket : t.electricityLocation;
    const oh = (market ? t.overheadElectricityMarket : t.overheadElectricityLocation).plus(t.overheadGas);
    const total = t.materials.plus(elec).plus(t.gas).plus(oh).plus(t.direct);
    let perUnit: Dec, primaryPerUnit: Dec, formula: string;
    if (produced) {
      perUnit = total.div(good);
      primaryPerUnit = primaryEnergy.div(good);
      formula = `(materials ${t.materials} + electricity ${elec} + gas ${t.gas} + overhead ${oh} + direct ${t.direct}) ÷ ${good} good units`;
    } else {
      perUnit = m.perUnit;
      primaryPerUnit = m.primary;
      formula = `materials only: not produced in the period, so no production energy is included`;
      warnings.push(
        `${id}: no production in ${options.periodStart}/${options.periodEnd}; production energy not included`,
      );
    }
    let traceMemo: TraceNode | undefined;
    const r: ProductResult = {
      product: id,
      declaredUnit: entity.data.declaredUnit,
      produced,
      orders: orders.map((o) => o.id),
      goodUnits: good,
      scrapUnits: scrap,
      materialsPerUnit: m.perUnit,
      totals: t,
      total,
      perUnit,
      primaryPerUnit,
      energyKWh,
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
            ...orderNodes.map((f) => f()),
          ],
        );
        return traceMemo;
      },
    };
    memo.set(id, r);
    return r;
  };
  return (id) => result(id);
}
