import {
  addMasses,
  massesRecord,
  present,
  type GasMasses,
  type OrderResult,
  type PeriodCalculation,
  type ProductResult,
} from '@pcf-edge/pcf-engine';

/** Decimals shown for kgCO2e values in presentations (full precision is kept alongside). */
export const DISPLAY_DECIMALS = 6;

export interface ProductResultDoc {
  schema: 'pcf-edge.pcf-result/1';
  product: string;
  declaredUnit: string;
  periodStart: string;
  periodEnd: string;
  method: string;
  gwpSet: string;
  shareKey: string;
  overheadKey: string;
  produced: boolean;
  /** kgCO2e per declared unit, full precision. */
  pcfPerDeclaredUnit: string;
  /** The same, rounded to DISPLAY_DECIMALS. */
  pcfPerDeclaredUnitDisplay: string;
  goodUnits: string;
  scrapUnits: string;
  totalKg: string;
  breakdownKg: Record<string, string>;
  /**
   * The breakdown per declared unit (its parts add up to the PCF): `breakdownKg` ÷ good units, or, for a product not
   * produced in the period (whose `breakdownKg` is all 0), the materials and direct emissions its PCF consists of.
   * Absent from results recorded before it existed.
   */
  breakdownKgPerDeclaredUnit: Record<string, string>;
  energyKWh: Record<string, string>;
  /**
   * The period's output (`totalKg`) and the PCF per declared unit as masses of each greenhouse gas before GWP, kg
   * (CO2, CH4, N2O, …; `CO2e` for what was published already characterised). Σ mass × GWP = the kgCO2e beside it.
   */
  ghgKg: Record<string, string>;
  ghgKgPerDeclaredUnit: Record<string, string>;
  primaryDataShare: string;
  orders: {
    id: string;
    line: string;
    goodUnits: string;
    scrapUnits: string;
    totalKg: string;
    perUnitKg: string | null;
    breakdownKg: Record<string, string>;
    /** The order's energy, kWh: its own (electricity, gas) and its overhead share. */
    energyKWh: Record<string, string>;
    /** The order's emissions (materials, energy, overhead, direct) as masses per gas, kg. */
    ghgKg: Record<string, string>;
  }[];
  balances: PeriodCalculation['balances'];
  warnings: string[];
  /**
   * Biogenic carbon per declared unit (ADR 0247). Absent from results recorded before it existed; for those the PACT
   * mapping reads the product data (ADR 0195).
   */
  biogenic?: BiogenicDoc;
}

/** A result's biogenic carbon per declared unit; decimal strings at full precision. */
export interface BiogenicDoc {
  /** kg C per declared unit as published (`source` says from where); null when neither BOM nor product data gives it. */
  carbonContentKgPerDeclaredUnit: string | null;
  source: 'bom' | 'productData' | 'none';
  /** What the BOM's components with data add up to, kg C per declared unit. */
  bomCarbonContentKgPerDeclaredUnit: string;
  /** Biogenic CO2 emitted and removed, kg per declared unit, and the PCF including them — only where determinable. */
  co2EmissionsKgPerDeclaredUnit?: string;
  co2RemovalsKgPerDeclaredUnit?: string;
  pcfIncludingBiogenicPerDeclaredUnit?: string;
  /** Biogenic components without a carbon content. */
  missing: string[];
  /** The biogenic warnings (also in `warnings`), e.g. for a footprint's comment. */
  warnings: string[];
}

function biogenicDoc(r: ProductResult): BiogenicDoc {
  const b = r.biogenic;
  const flows = b.emissionsKg && b.removalsKg ? { e: b.emissionsKg, r: b.removalsKg } : undefined;
  return {
    carbonContentKgPerDeclaredUnit: b.carbonKg?.toString() ?? null,
    source: b.source,
    bomCarbonContentKgPerDeclaredUnit: b.bom.carbonKg.toString(),
    ...(flows
      ? {
          co2EmissionsKgPerDeclaredUnit: flows.e.toString(),
          co2RemovalsKgPerDeclaredUnit: flows.r.toString(),
          pcfIncludingBiogenicPerDeclaredUnit: r.perUnit.plus(flows.e).minus(flows.r).toString(),
        }
      : {}),
    missing: b.bom.missing,
    warnings: b.warnings,
  };
}

/** The stored/printed form of a product result: decimal strings, nothing rounded except `*Display`. */
export function productResultDoc(calc: PeriodCalculation, r: ProductResult): ProductResultDoc {
  const o = calc.input.options;
  const market = o.method === 'market';
  const t = r.totals;
  return {
    schema: 'pcf-edge.pcf-result/1',
    product: r.product,
    declaredUnit: r.declaredUnit,
    periodStart: o.periodStart,
    periodEnd: o.periodEnd,
    method: o.method,
    gwpSet: o.gwpSet,
    shareKey: o.shareKey,
    overheadKey: o.overheadKey,
    produced: r.produced,
    pcfPerDeclaredUnit: r.perUnit.toString(),
    pcfPerDeclaredUnitDisplay: present(r.perUnit, DISPLAY_DECIMALS),
    goodUnits: r.goodUnits.toString(),
    scrapUnits: r.scrapUnits.toString(),
    totalKg: r.total.toString(),
    breakdownKg: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.toString()])),
    breakdownKgPerDeclaredUnit: Object.fromEntries(Object.entries(r.perUnitTotals).map(([k, v]) => [k, v.toString()])),
    energyKWh: Object.fromEntries(Object.entries(r.energyKWh).map(([k, v]) => [k, v.toString()])),
    ghgKg: massesRecord(r.ghgKg),
    ghgKgPerDeclaredUnit: massesRecord(r.ghgPerUnitKg),
    primaryDataShare: r.perUnit.isZero() ? '0' : present(r.primaryPerUnit.div(r.perUnit).times(100), 2),
    orders: r.orders.map((id) => {
      const x = calc.orders.get(id)!;
      const materials = r.materialsPerUnit.times(x.goodInPeriod.plus(x.scrapInPeriod));
      const elec = market ? x.energy.electricityMarket : x.energy.electricityLocation;
      const oh = (market ? x.overhead.electricityMarket : x.overhead.electricityLocation).plus(x.overhead.gas);
      const total = materials.plus(elec).plus(x.energy.gas).plus(oh).plus(x.direct);
      return {
        id,
        line: x.line,
        goodUnits: x.goodInPeriod.toString(),
        scrapUnits: x.scrapInPeriod.toString(),
        totalKg: total.toString(),
        perUnitKg: x.goodInPeriod.isZero() ? null : total.div(x.goodInPeriod).toString(),
        breakdownKg: {
          materials: materials.toString(),
          electricityLocation: x.energy.electricityLocation.toString(),
          electricityMarket: x.energy.electricityMarket.toString(),
          gas: x.energy.gas.toString(),
          overheadElectricityLocation: x.overhead.electricityLocation.toString(),
          overheadElectricityMarket: x.overhead.electricityMarket.toString(),
          overheadGas: x.overhead.gas.toString(),
          direct: x.direct.toString(),
        },
        energyKWh: {
          electricity: x.energy.electricityKWh.toString(),
          gas: x.energy.gasKWh.toString(),
          overheadElectricity: x.overhead.electricityKWh.toString(),
          overheadGas: x.overhead.gasKWh.toString(),
        },
        ghgKg: massesRecord(orderGhgKg(x, r, market)),
      };
    }),
    balances: calc.balances,
    warnings: r.warnings,
    biogenic: biogenicDoc(r),
  };
}

/** An order's masses per gas: the product's materials for its output, then its energy, overhead and direct emissions. */
function orderGhgKg(x: OrderResult, r: ProductResult, market: boolean): GasMasses {
  const out: GasMasses = new Map();
  addMasses(out, r.materialsGhgPerUnitKg, x.goodInPeriod.plus(x.scrapInPeriod));
  for (const p of [x.energy, x.overhead]) {
    addMasses(out, market ? p.ghg.electricityMarket : p.ghg.electricityLocation);
    addMasses(out, p.ghg.gas);
  }
  addMasses(out, x.directGhg);
  return out;
}
