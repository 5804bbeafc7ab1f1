import { Dec, present } from '@pcf-edge/pcf-engine';
import type { StoredFootprint } from '../store/repository';
import { biogenicCarbon, PACT_DECIMALS } from './footprint';
import type { ResultContext } from './inputs';
import type { ProductFootprint } from './types';

export const PACT_V3_SPEC_VERSION = '3.0.3';
/** PACT v3 declared units (DeclaredUnit of the v3.0 data model); `piece` is new in v3 (decision 33). */
const V3_UNITS = [
  'liter',
  'kilogram',
  'cubic meter',
  'kilowatt hour',
  'megajoule',
  'ton kilometer',
  'square meter',
  'piece',
];
const YEARS_3_MS = 3 * 365.25 * 86_400_000;

/** A PACT v3.0 ProductFootprint (the fields this system writes). */
export interface ProductFootprintV3 {
  id: string;
  specVersion: string;
  precedingPfIds?: string[];
  created: string;
  status: 'Active' | 'Deprecated';
  statusComment?: string;
  companyName: string;
  companyIds: string[];
  productDescription: string;
  productIds: string[];
  productClassifications: string[];
  productNameCompany: string;
  comment: string;
  pcf: Record<string, unknown> & {
    declaredUnitOfMeasurement: string;
    referencePeriodStart: string;
    referencePeriodEnd: string;
    geographyCountry?: string;
  };
}

/** Why a stored footprint has no v3 form (v3 requires the product's mass per declared unit), or undefined. */
export function v3UnavailableReason(ctx: ResultContext): string | undefined {
  if (!V3_UNITS.includes(ctx.product.declaredUnit))
    return `declared unit ${ctx.product.declaredUnit} is not a PACT v3 unit`;
  if (ctx.product.massKgPerDeclaredUnit === undefined)
    return 'PACT v3 requires massKgPerDeclaredUnit in the product data';
  return undefined;
}

/** PACT methodology: biogenic CO2 uptake is the biogenic carbon in the product as CO2 (× 44/12), negative. */
const CO2_PER_C = new Dec(44).div(12);

/**
 * The v3.0 form of a stored (v2) footprint version, from the same stored result: v3 declares a piece product per
 * piece (`productMassPerDeclaredUnit` = the piece's mass from the product data) and names the renamed fields.
 * Lifecycle (`version`, `updated`) has no v3 field; `status` and `precedingPfIds` carry it.
 */
export function buildFootprintV3(stored: StoredFootprint, ctx: ResultContext): ProductFootprintV3 {
  const v2 = stored.doc as ProductFootprint;
  const p = v2.pcf as Record<string, unknown>;
  const perUnit = new Dec(ctx.result.pcfPerDeclaredUnit);
  // as the v2 form publishes it: the result's (BOM or product data, ADR 0247), else the product data's (ADR 0195)
  const biogenicC = new Dec(biogenicCarbon(ctx.result, ctx.product) ?? 0);
  const uptake = biogenicC.mul(CO2_PER_C).neg();
  const kg = (v: Dec) => present(v, PACT_DECIMALS);
  const cpc = v2.productCategoryCpc;
  return {
    id: v2.id,
    specVersion: PACT_V3_SPEC_VERSION,
    ...(v2.precedingPfIds ? { precedingPfIds: v2.precedingPfIds } : {}),
    created: v2.created,
    status: v2.status,
    ...(v2.statusComment ? { statusComment: v2.statusComment } : {}),
    companyName: v2.companyName,
    companyIds: v2.companyIds,
    productDescription: v2.productDescription,
    productIds: v2.productIds,
    productClassifications: [`urn:pact:productclassification:un-cpc:${cpc}`],
    productNameCompany: v2.productNameCompany,
    comment: v2.comment,
    pcf: {
      declaredUnitOfMeasurement: ctx.product.declaredUnit,
      declaredUnitAmount: String(ctx.product.unitaryProductAmount),
      productMassPerDeclaredUnit: String(ctx.product.massKgPerDeclaredUnit),
      referencePeriodStart: p.referencePeriodStart as string,
      referencePeriodEnd: p.referencePeriodEnd as string,
      ...(p.geographyCountry ? { geographyCountry: p.geographyCountry as string } : {}),
      boundaryProcessesDescription: p.boundaryProcessesDescription as string,
      pcfExcludingBiogenicUptake: kg(perUnit),
      pcfIncludingBiogenicUptake: kg(perUnit.add(uptake)),
      fossilGhgEmissions: kg(perUnit),
      fossilCarbonContent: kg(new Dec(ctx.product.fossilCarbonContentKgPerDeclaredUnit ?? 0)),
      biogenicCarbonContent: kg(biogenicC),
      ...(uptake.isZero() ? {} : { biogenicCO2Uptake: kg(uptake) }),
      packagingEmissionsIncluded: p.packagingEmissionsIncluded as boolean,
      ipccCharacterizationFactors: p.ipccCharacterizationFactorsSources as string[],
      crossSectoralStandards: ['GHGP-Product', 'ISO14067'],
      exemptedEmissionsPercent: String(p.exemptedEmissionsPercent),
      ...(p.exemptedEmissionsDescription
        ? { exemptedEmissionsDescription: p.exemptedEmissionsDescription as string }
        : {}),
      allocationRulesDescription: p.allocationRulesDescription as string,
      ...(p.secondaryEmissionFactorSources ? { secondaryEmissionFactorSources: p.secondaryEmissionFactorSources } : {}),
      primaryDataShare: String(p.primaryDataShare),
      ...(p.dqi ? { dqi: v3Dqi(p.dqi as Record<string, number>) } : {}),
    },
  };
}

const v3Dqi = (d: Record<string, number>) => ({
  technologicalDQR: String(d.technologicalDQR),
  geographicalDQR: String(d.geographicalDQR),
  temporalDQR: String(d.temporalDQR),
});

/** v3 §7.3: without a declared validity period a footprint is valid for 3 years from its reference period end. */
export function validity(f: ProductFootprintV3): { startMs: number; endMs: number } {
  const startMs = Date.parse(f.pcf.referencePeriodEnd);
  return { startMs, endMs: startMs + YEARS_3_MS };
}
