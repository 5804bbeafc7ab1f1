import { Dec, pactUnitName, present } from '@pcf-edge/pcf-engine';
import type { EmissionFactor, Num, Product } from '../reference/types';
import type { ProductResultDoc } from '../service/result-doc';
import { PACT_SPEC_VERSION, type PactCompany, type ProductFootprint } from './types';

/** Decimals of the kgCO2e values a footprint presents (the stored result keeps full precision). */
export const PACT_DECIMALS = 6;
/** The PACT v2 name of a product's declared unit (stored as `kg`, or as `kilogram` before the unit catalogue). */
const pactUnit = (p: Product): string | undefined => pactUnitName(p.declaredUnit);

/** What the telemetry behind a result says about itself. */
export interface TelemetrySummary {
  /** Earliest window start and latest window end of the rollups used, clipped to the result period (epoch ms). */
  startMs: number;
  endMs: number;
  /** Time-weighted mean coverage of the rollups used, 0–1. */
  coverage: number;
  /** Whether any rollup used was estimated. */
  estimated: boolean;
}

export interface FootprintInput {
  id: string;
  version: number;
  status: 'Active' | 'Deprecated';
  createdMs: number;
  updatedMs?: number;
  precedingPfIds?: string[];
  company: PactCompany;
  product: Product;
  result: ProductResultDoc;
  resultId: string;
  auditHash: string;
  factors: EmissionFactor[];
  /** ISO 3166 alpha-2 countries of the sites whose energy was used. */
  countries: string[];
  telemetry?: TelemetrySummary;
}

/** Why a result cannot become a PACT v2 footprint, or undefined when it can. */
export function unpublishableReason(result: ProductResultDoc, product: Product): string | undefined {
  if (result.gwpSet !== 'AR5' && result.gwpSet !== 'AR6')
    return `PACT v2 allows AR5 or AR6 characterization factors, not ${result.gwpSet}`;
  if (!result.produced || new Dec(result.goodUnits).isZero()) return 'no good units were produced in the period';
  if (new Dec(result.pcfPerDeclaredUnit).isNegative()) return 'the PCF is negative';
  if (pactUnit(product) === undefined) return `declared unit ${product.declaredUnit} has no PACT v2 equivalent`;
  if (pactUnit(product) === 'piece' && !new Dec(product.massKgPerDeclaredUnit ?? 0).greaterThan(0))
    return 'a piece product needs massKgPerDeclaredUnit to be declared per kilogram';
  if (product.fossilCarbonContentKgPerDeclaredUnit === undefined)
    return 'PACT requires the fossil carbon content: declare fossilCarbonContentKgPerDeclaredUnit in the product data';
  if (biogenicCarbon(result, product) === undefined)
    return 'PACT requires the biogenic carbon content: give biogenicCarbonContent in the factors of the biogenic materials, or declare biogenicCarbonContentKgPerDeclaredUnit in the product data';
  return undefined;
}

/**
 * kg biogenic C per declared unit as the result gives it (the BOM's, or the product data's, ADR 0247); for a result
 * recorded before results carried it, the product data's (ADR 0195). Undefined when neither gives one.
 */
export function biogenicCarbon(result: ProductResultDoc, product: Product): Num | undefined {
  if (result.biogenic) return result.biogenic.carbonContentKgPerDeclaredUnit ?? undefined;
  return product.biogenicCarbonContentKgPerDeclaredUnit;
}

/** The footprint comment: what it is, and every biogenic warning of the result (never a silent zero). */
export function footprintComment(r: ProductResultDoc, resultId: string, auditHash: string): string {
  const notes = r.biogenic?.warnings ?? [];
  return (
    `Cradle-to-gate PCF from metered factory energy; ${r.method}-based electricity; pcf-edge result ${resultId}, audit hash ${auditHash}.` +
    (notes.length > 0 ? ` Biogenic carbon: ${notes.join('; ')}.` : '')
  );
}

/**
 * PACT v2 has no `piece`: a piece product is declared per kilogram, `unitaryProductAmount` = kg per piece and every
 * per-unit figure divided by that mass (see docs/adr/0080, 0195). Other units pass through.
 */
function declared(product: Product): {
  unit: string;
  amount: string;
  perDeclared: (v: Dec) => Dec;
  massPerDeclared?: string;
} {
  if (pactUnit(product) !== 'piece')
    return {
      unit: pactUnit(product)!,
      amount: String(product.unitaryProductAmount),
      perDeclared: (v) => v,
      // the product's own figure (1 for a kilogram product, a density for a liter one) when its data has one
      ...(product.massKgPerDeclaredUnit !== undefined
        ? { massPerDeclared: String(product.massKgPerDeclaredUnit) }
        : {}),
    };
  // Declared per kilogram: the mass of one kilogram would be 1 by definition and says nothing about the product
  // (the piece's mass is unitaryProductAmount); the field is optional in v2.3 and omitted. v3 declares per piece.
  const mass = new Dec(product.massKgPerDeclaredUnit ?? 0);
  return { unit: 'kilogram', amount: mass.toString(), perDeclared: (v) => v.div(mass) };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const rating = (x: number) => Math.min(3, Math.max(1, Math.round(x * 100) / 100));

/** DQI from factor DQR metadata and telemetry coverage; undefined when no factor carries DQR ratings. */
function dqi(factors: EmissionFactor[], telemetry: TelemetrySummary | undefined): Record<string, number> | undefined {
  const rated = factors.filter((f) => f.dqr);
  if (rated.length === 0 || !telemetry) return undefined;
  const avg = (k: 'technological' | 'temporal' | 'geographical') => rating(mean(rated.map((f) => f.dqr?.[k] ?? 3)));
  const coveragePercent = Math.round(telemetry.coverage * 10000) / 100;
  return {
    coveragePercent,
    technologicalDQR: avg('technological'),
    temporalDQR: avg('temporal'),
    geographicalDQR: avg('geographical'),
    // Completeness from metered coverage (≥ 95 % ⇒ 1, ≥ 80 % ⇒ 2, else 3); reliability 1 for measured energy, 2 if any was estimated.
    completenessDQR: coveragePercent >= 95 ? 1 : coveragePercent >= 80 ? 2 : 3,
    reliabilityDQR: telemetry.estimated ? 2 : 1,
  };
}

/** Builds the PACT v2 ProductFootprint of a stored product result. Call only when `unpublishableReason` is undefined. */
export function buildFootprint(x: FootprintInput): ProductFootprint {
  const r = x.result;
  const d = declared(x.product);
  const kg = present(d.perDeclared(new Dec(r.pcfPerDeclaredUnit)), PACT_DECIMALS);
  const including = r.biogenic?.pcfIncludingBiogenicPerDeclaredUnit;
  const carbon = (v: Num | undefined) => present(d.perDeclared(new Dec(v ?? 0)), PACT_DECIMALS);
  const periodStart = x.telemetry ? new Date(x.telemetry.startMs).toISOString() : r.periodStart;
  const periodEnd = x.telemetry ? new Date(x.telemetry.endMs).toISOString() : r.periodEnd;
  const sources = [
    ...new Map(x.factors.map((f) => [`${f.source}|${f.version}`, { name: f.source, version: f.version }])).values(),
  ];
  const quality = dqi(x.factors, x.telemetry);
  const name = x.product.name ?? x.product.id;
  return {
    id: x.id,
    specVersion: PACT_SPEC_VERSION,
    ...(x.precedingPfIds && x.precedingPfIds.length > 0 ? { precedingPfIds: x.precedingPfIds } : {}),
    version: x.version,
    created: new Date(x.createdMs).toISOString(),
    ...(x.updatedMs !== undefined ? { updated: new Date(x.updatedMs).toISOString() } : {}),
    status: x.status,
    ...(x.status === 'Deprecated'
      ? {
          statusComment:
            'Superseded by a footprint computed with a different method or GWP set (see precedingPfIds of its successor).',
        }
      : {}),
    companyName: x.company.companyName,
    companyIds: x.company.companyIds,
    productDescription: name,
    productIds: x.product.productIds,
    productCategoryCpc: x.company.productCategoryCpc[x.product.id] ?? x.company.defaultProductCategoryCpc,
    productNameCompany: name,
    comment: footprintComment(r, x.resultId, x.auditHash),
    pcf: {
      declaredUnit: d.unit,
      unitaryProductAmount: d.amount,
      ...(d.massPerDeclared !== undefined ? { productMassPerDeclaredUnit: d.massPerDeclared } : {}),
      pCfExcludingBiogenic: kg,
      // optional: only where the BOM's biogenic emissions and removals are determinable (ADR 0247)
      ...(including !== undefined
        ? { pCfIncludingBiogenic: present(d.perDeclared(new Dec(including)), PACT_DECIMALS) }
        : {}),
      fossilGhgEmissions: kg,
      // kg C per declared unit: fossil from the product data, biogenic as the result gives it (both required above)
      fossilCarbonContent: carbon(x.product.fossilCarbonContentKgPerDeclaredUnit),
      biogenicCarbonContent: carbon(biogenicCarbon(r, x.product)),
      characterizationFactors: r.gwpSet,
      ipccCharacterizationFactorsSources: [r.gwpSet],
      crossSectoralStandardsUsed: ['GHG Protocol Product standard', 'ISO Standard 14067'],
      boundaryProcessesDescription:
        'Cradle-to-gate: bill of materials (generic factors or supplier PCFs), metered electricity and gas of the production line, line idle energy and site baseload as overhead, direct process emissions.',
      referencePeriodStart: periodStart,
      referencePeriodEnd: periodEnd,
      ...(x.countries.length === 1 ? { geographyCountry: x.countries[0] } : {}),
      ...(sources.length > 0 ? { secondaryEmissionFactorSources: sources } : {}),
      exemptedEmissionsPercent: 0,
      exemptedEmissionsDescription: '',
      packagingEmissionsIncluded: false,
      allocationRulesDescription: `Energy shared between orders by ${r.shareKey}; overhead (idle energy, site baseload) by ${r.overheadKey}.`,
      primaryDataShare: Number(r.primaryDataShare),
      ...(quality ? { dqi: quality } : {}),
    },
  };
}
