import { add as plus, Dec, mul, ZERO } from './decimal';
import type { EmissionFactor, Num, SupplierPcf } from './reference';
import type { TraceNode } from './types';

/**
 * Biogenic carbon of a bill of materials per declared unit of its product (ADR 0247), summed line by line with the
 * arithmetic of the PCF: quantity (converted to the component's unit) × content per unit.
 * - carbon content, kg C: a material's factor `biogenicCarbonContent`, a supplier PCF's `pcf.biogenicCarbonContent`,
 *   a sub-product's resolved content (`ProductBiogenic.carbonKg`);
 * - biogenic CO2 emissions and removals, kg CO2 (both ≥ 0): a factor's `biogenicCO2Emissions` / `…Removals` (one
 *   given, the other is 0), a supplier's `pCfIncludingBiogenic − pCfExcludingBiogenic` (≥ 0 an emission, < 0 a
 *   removal), a sub-product's own per declared unit.
 */
export interface BomBiogenic {
  carbonKg: Dec;
  /** Whether any component gave a carbon content (a supplier PCF always does: PACT requires it). */
  hasContent: boolean;
  emissionsKg: Dec;
  removalsKg: Dec;
  /** Whether any component gave emissions or removals. */
  hasFlows: boolean;
  /** A biogenic component gave no emissions or removals: the BOM's flows are not known. */
  flowsIncomplete: boolean;
  /** Biogenic components without a carbon content, e.g. `material cardboard (factor demo-cardboard)`. */
  missing: string[];
  /** The sub-products' biogenic warnings. */
  notes: string[];
  /** Per component, for the derivation tree. */
  trace: (() => TraceNode)[];
}

/** A product's biogenic carbon per declared unit, its BOM resolved against its product data. */
export interface ProductBiogenic {
  /** kg C per declared unit as published; undefined when neither the BOM nor the product data gives it. */
  carbonKg?: Dec;
  /** `bom`: computed from the BOM; `productData`: the product's `biogenicCarbonContentKgPerDeclaredUnit`. */
  source: 'bom' | 'productData' | 'none';
  bom: BomBiogenic;
  /** kg CO2 per declared unit, only when determinable: some component gives them and no biogenic one lacks them. */
  emissionsKg?: Dec;
  removalsKg?: Dec;
  /** What is missing or disagrees, its sub-products' first (also among the product's warnings). */
  warnings: string[];
}

const optional = (v: Num | undefined): Dec | undefined => (v === undefined ? undefined : new Dec(v));

const leaf = (name: string, value: Dec, unit: string, formula: string): TraceNode => ({
  name,
  value: value.toString(),
  unit,
  formula,
});

/** Adds BOM lines' biogenic carbon up; one per bill of materials. */
export class BiogenicSum {
  readonly bom: BomBiogenic = {
    carbonKg: ZERO,
    hasContent: false,
    emissionsKg: ZERO,
    removalsKg: ZERO,
    hasFlows: false,
    flowsIncomplete: false,
    missing: [],
    notes: [],
    trace: [],
  };

  /** `q` in the factor's unit. A factor is biogenic when marked so or when it gives any biogenic figure. */
  material(q: Dec, f: EmissionFactor, label: string): void {
    const content = optional(f.biogenicCarbonContent);
    const e = optional(f.biogenicCO2Emissions),
      r = optional(f.biogenicCO2Removals);
    const biogenic = f.biogenic === true || content !== undefined || e !== undefined || r !== undefined;
    if (!biogenic) return;
    if (content === undefined) this.bom.missing.push(`${label} (factor ${f.id})`);
    const flows = e !== undefined || r !== undefined ? { e: e ?? ZERO, r: r ?? ZERO } : undefined;
    this.add(q, content, flows, label, f.unit, `factor ${f.id}`);
  }

  /** `q` in the supplier PCF's declared unit. */
  supplier(q: Dec, s: SupplierPcf, label: string): void {
    const content = optional(s.pcf.biogenicCarbonContent);
    const including = optional(s.pcf.pCfIncludingBiogenic);
    let flows: { e: Dec; r: Dec } | undefined;
    if (including !== undefined) {
      const net = including.minus(s.pcf.pCfExcludingBiogenic);
      flows = net.isNegative() ? { e: ZERO, r: net.neg() } : { e: net, r: ZERO };
    }
    if (content === undefined && flows === undefined) return;
    if (content === undefined) this.bom.missing.push(label);
    // a supplier declaring no biogenic carbon and no flows is not a biogenic component
    const plain = content !== undefined && content.isZero();
    this.add(q, content, flows, label, s.pcf.declaredUnit, `PACT ${s.id} v${s.version}`, plain);
  }

  /** `q` in the sub-product's declared unit; a sub-product's unknowns are its parent's unknowns. */
  product(q: Dec, sub: ProductBiogenic, id: string, declaredUnit: string): void {
    for (const w of sub.warnings) if (!this.bom.notes.includes(w)) this.bom.notes.push(w);
    if (sub.source !== 'productData') this.bom.missing.push(...sub.bom.missing.map((m) => `${m} via ${id}`));
    const flows = sub.emissionsKg && sub.removalsKg ? { e: sub.emissionsKg, r: sub.removalsKg } : undefined;
    const biogenic = sub.carbonKg?.gt(0) || sub.bom.missing.length > 0 || sub.bom.flowsIncomplete;
    if (flows === undefined && biogenic) this.bom.flowsIncomplete = true;
    if (sub.carbonKg === undefined && flows === undefined) return;
    const from =
      sub.source === 'bom' ? 'from its BOM' : sub.source === 'productData' ? 'from its product data' : 'no content';
    this.add(q, sub.carbonKg, flows, `product ${id}`, declaredUnit, from, true);
  }

  private add(
    q: Dec,
    content: Dec | undefined,
    flows: { e: Dec; r: Dec } | undefined,
    label: string,
    unit: string,
    from: string,
    flowsChecked = false,
  ): void {
    const b = this.bom;
    const c = content === undefined ? ZERO : mul(q, content);
    if (content !== undefined) {
      b.carbonKg = plus(b.carbonKg, c);
      b.hasContent = true;
    }
    // the formulas are formatted when the trace is read (most calculations never show it)
    let flowText = () => 'no biogenic emissions or removals given';
    if (flows) {
      const e = mul(q, flows.e),
        r = mul(q, flows.r);
      b.emissionsKg = plus(b.emissionsKg, e);
      b.removalsKg = plus(b.removalsKg, r);
      b.hasFlows = true;
      flowText = () => `emissions ${q} × ${flows.e} = ${e} kg CO2, removals ${q} × ${flows.r} = ${r} kg CO2`;
    } else if (!flowsChecked) b.flowsIncomplete = true;
    const contentText = () =>
      content === undefined ? 'no carbon content given' : `${q} ${unit} × ${content} kg C/${unit}`;
    b.trace.push(() => leaf(`${label} (${from})`, c, 'kg C', `${contentText()}; ${flowText()}`));
  }
}

/**
 * The product's biogenic carbon per declared unit. The BOM's value wins when its biogenic components all give a
 * content; the product data's `biogenicCarbonContentKgPerDeclaredUnit` is used when the BOM gives none, or only part
 * while the product data has one; a disagreement, a biogenic component without a content and a partial sum are
 * warnings (ADR 0247). Flows are per declared unit of output: the BOM's × (good + scrap) ÷ good when produced (the
 * materials of scrap count against the good units, as in the PCF), the BOM's as they are when not (`output`
 * undefined). The content is the BOM's as it is: scrap is not in the product.
 */
export function resolveBiogenic(
  product: string,
  declaredUnit: string,
  bom: BomBiogenic,
  productData: Num | undefined,
  output: { made: Dec; good: Dec } | undefined,
): ProductBiogenic {
  const data = optional(productData);
  const warnings: string[] = [...bom.notes];
  const missing = bom.missing;
  const noContent = `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} biogenic but give${missing.length === 1 ? 's' : ''} no biogenic carbon content`;
  let carbonKg: Dec | undefined, source: ProductBiogenic['source'];
  if (bom.hasContent && missing.length === 0) {
    carbonKg = bom.carbonKg;
    source = 'bom';
    if (data !== undefined && !data.eq(bom.carbonKg))
      warnings.push(
        `${product}: the BOM gives ${bom.carbonKg} kg biogenic carbon per ${declaredUnit}, the product data ${data}; the BOM's value is used`,
      );
  } else if (data !== undefined) {
    carbonKg = data;
    source = 'productData';
    if (missing.length > 0)
      warnings.push(`${product}: ${noContent}; the product data's ${data} kg C per ${declaredUnit} is used`);
  } else if (bom.hasContent) {
    carbonKg = bom.carbonKg;
    source = 'bom';
    warnings.push(
      `${product}: ${noContent}; the biogenic carbon content ${bom.carbonKg} kg C per ${declaredUnit} counts only the other components`,
    );
  } else {
    source = 'none';
    if (missing.length > 0)
      warnings.push(
        `${product}: ${noContent}; no biogenic carbon content is known (give it in the factors or the product data)`,
      );
  }
  const known = bom.hasFlows && !bom.flowsIncomplete;
  const scale = (v: Dec) => (output === undefined ? v : v.times(output.made).div(output.good));
  return {
    ...(carbonKg !== undefined ? { carbonKg } : {}),
    source,
    bom,
    ...(known ? { emissionsKg: scale(bom.emissionsKg), removalsKg: scale(bom.removalsKg) } : {}),
    warnings,
  };
}

/** Whether there is anything biogenic to show for a product (a derivation node, a result field). */
export const hasBiogenic = (b: ProductBiogenic): boolean =>
  b.source !== 'none' || b.bom.hasContent || b.bom.hasFlows || b.bom.missing.length > 0;

/** The derivation node of a product's biogenic carbon: the published value, how it was chosen, each component. */
export function biogenicTrace(b: ProductBiogenic, declaredUnit: string): TraceNode {
  const flows =
    b.emissionsKg && b.removalsKg
      ? `; biogenic CO2 per ${declaredUnit} made: emissions ${b.emissionsKg} kg, removals ${b.removalsKg} kg`
      : '; biogenic emissions and removals not determinable';
  const how =
    b.source === 'bom'
      ? `Σ components: ${b.bom.carbonKg} kg C`
      : b.source === 'productData'
        ? `the product data (the BOM gives ${b.bom.hasContent ? `${b.bom.carbonKg} kg C, incomplete` : 'none'})`
        : 'not known';
  const children = b.bom.trace.map((f) => f());
  return {
    name: 'biogenic carbon content per declared unit',
    value: (b.carbonKg ?? ZERO).toString(),
    unit: `kg C/${declaredUnit}`,
    formula: how + flows,
    ...(children.length > 0 ? { children } : {}),
  };
}
