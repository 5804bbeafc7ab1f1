import { BiogenicSum, type BomBiogenic, type ProductBiogenic } from './biogenic';
import { bomCycleError } from './bom';
import { add, Dec, mul, ZERO } from './decimal';
import type { FactorBook } from './factors';
import { addMasses, type GasMasses } from './masses';
import type { CalcOptions } from './options';
import type { Bom, ReferenceSnapshot } from './reference';
import type { TraceNode } from './types';

/** What a sub-product contributes per declared unit (its own product result). */
export interface SubProduct {
  declaredUnit: string;
  perUnit: Dec;
  primaryPerUnit: Dec;
  ghgPerUnitKg: GasMasses;
  /** Its biogenic carbon per declared unit (ADR 0247). */
  biogenic: ProductBiogenic;
  warnings: string[];
  trace(): TraceNode;
}

/** A bill of materials per declared unit of its product. */
export interface Materials {
  /** kgCO2e per declared unit, its part from supplier-primary data, and the masses per gas. */
  perUnit: Dec;
  primary: Dec;
  ghg: GasMasses;
  /** Biogenic carbon content and flows per declared unit, from the components that give them. */
  biogenic: BomBiogenic;
  trace: (() => TraceNode)[];
  warnings: string[];
}

export const node = (name: string, value: Dec, unit: string, formula?: string, children?: TraceNode[]): TraceNode => ({
  name,
  value: value.toString(),
  unit,
  ...(formula ? { formula } : {}),
  ...(children && children.length > 0 ? { children } : {}),
});

export interface MaterialsContext {
  snapshot: ReferenceSnapshot;
  options: CalcOptions;
  book: FactorBook;
  fromMs: number;
  /** The products whose materials are being computed, outermost first, ending with the one asked for (cycles). */
  path: readonly string[];
  /** The result of a sub-product. */
  product(id: string): SubProduct;
}

/**
 * The materials of product `id` per declared unit (its BOM): sub-products at their PCF for the period, materials by
 * their emission factor valid at the period's start, supplier products by their PACT footprint (published already
 * characterised: its mass is reported as `CO2e`).
 */
export function materialsOf(ctx: MaterialsContext, id: string): Materials {
  const { book, options } = ctx;
  const bomEntity = ctx.snapshot.boms.get(id);
  const biogenic = new BiogenicSum();
  if (!bomEntity)
    return { perUnit: ZERO, primary: ZERO, ghg: new Map(), biogenic: biogenic.bom, trace: [], warnings: [] };
  let perUnit = ZERO,
    primary = ZERO;
  const ghg: GasMasses = new Map();
  const trace: (() => TraceNode)[] = [];
  // distinct, in first-seen order (a product's warnings are its materials' first, each once)
  const warnings = new Set<string>();
  for (const l of (bomEntity.data as Bom).lines) {
    const qty = new Dec(l.quantity);
    switch (l.componentKind) {
      case 'product': {
        const stack = ctx.path;
        if (stack.includes(l.component)) throw bomCycleError([...stack.slice(stack.indexOf(l.component)), l.component]);
        const sub = ctx.product(l.component);
        const q = book.units.convert(qty, l.unit, sub.declaredUnit);
        const v = mul(q, sub.perUnit);
        perUnit = add(perUnit, v);
        primary = add(primary, mul(q, sub.primaryPerUnit));
        addMasses(ghg, sub.ghgPerUnitKg, q);
        biogenic.product(q, sub.biogenic, l.component, sub.declaredUnit);
        for (const w of sub.warnings) warnings.add(w);
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
        const f = book.factor(l.component, l.region, ctx.fromMs);
        const q = book.units.convert(qty, l.unit, f.unit);
        const v = mul(q, book.co2ePerUnit(f));
        perUnit = add(perUnit, v);
        addMasses(ghg, book.gasesPerUnit(f), q);
        biogenic.material(q, f, `material ${l.component}`);
        trace.push(() =>
          node(
            `material ${l.component} (${f.id} ${f.source} ${f.version})`,
            v,
            'kgCO2e',
            `${qty} ${l.unit} = ${q} ${f.unit} × ${book.co2ePerUnit(f)} kgCO2e/${f.unit} (${options.gwpSet})`,
          ),
        );
        break;
      }
      case 'supplierProduct': {
        const s = book.supplierPcf(l.component, ctx.fromMs);
        const q = book.units.convert(qty, l.unit, s.pcf.declaredUnit);
        const v = q.times(s.pcf.pCfExcludingBiogenic);
        perUnit = add(perUnit, v);
        primary = add(primary, v.times(s.pcf.primaryDataShare ?? 0).div(100));
        addMasses(ghg, [['CO2e', v]]);
        biogenic.supplier(q, s, `supplier product ${l.component}`);
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
  return { perUnit, primary, ghg, biogenic: biogenic.bom, trace, warnings: [...warnings] };
}
