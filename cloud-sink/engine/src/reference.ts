/**
 * Reference data as the engine reads it. Numbers that enter the PCF arithmetic are kept as given (number or
 * decimal string) and converted with Decimal at use. Validity periods are [validFrom, validTo) in ISO-8601 UTC;
 * validTo null = open-ended.
 */
export const REFERENCE_KINDS = [
  'sites',
  'lines',
  'products',
  'boms',
  'direct-emissions',
  'factors',
  'electricity',
  'supplier-pcfs',
  'orders',
  // appended, not in dependency order: the fuzz corpus encodes a kind by its index here
  'supply',
] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

export function isReferenceKind(k: string): k is ReferenceKind {
  return (REFERENCE_KINDS as readonly string[]).includes(k);
}

export type Num = number | string;

export interface Site {
  id: string;
  name?: string;
  region: string;
  country?: string;
}
export interface Line {
  id: string;
  site: string;
  name?: string;
}

export interface Product {
  id: string;
  name?: string;
  /**
   * Declared unit, stored as its catalogue symbol (kg, l, m3, kWh, MJ, tkm, m2, piece); data imported before the
   * catalogue holds PACT names (kilogram, liter, …), which mean the same units.
   */
  declaredUnit: string;
  unitaryProductAmount: Num;
  massKgPerDeclaredUnit?: Num;
  economicValuePerDeclaredUnit?: Num;
  /** Mass of fossil / biogenic carbon in one declared unit of the product (kg C); PACT publishes them. */
  fossilCarbonContentKgPerDeclaredUnit?: Num;
  biogenicCarbonContentKgPerDeclaredUnit?: Num;
  productIds: string[];
}

export type ComponentKind = 'product' | 'material' | 'supplierProduct';

export interface BomLine {
  component: string;
  componentKind: ComponentKind;
  /** Quantity of the component per declared unit of the parent, in `unit`. */
  quantity: Num;
  unit: string;
  /** For materials: region of the factor to use when the activity has factors for several regions. */
  region?: string;
}
export interface Bom {
  product: string;
  lines: BomLine[];
}

export interface DirectEmission {
  id: string;
  scope: 'product' | 'line';
  ref: string;
  gas: string;
  /** kg of `gas` per declared unit (scope product) or per hour of production on the line (scope line). */
  amountKg: Num;
  per: 'declaredUnit' | 'hour';
  validFrom: string;
  validTo: string | null;
}

export interface EmissionFactor {
  id: string;
  /** What the factor applies to: `electricity`, `natural-gas`, or a material id used in BOMs. */
  activity: string;
  region: string;
  /** Activity unit the components are per (kWh, mmBtu, kg, m3, …). */
  unit: string;
  /** Calorific-value basis for energy factors of fuels; null when not applicable (the import's default). */
  energyBasis: 'gross' | 'net' | null;
  /** kg of each gas per activity unit. */
  components: Record<string, Num>;
  source: string;
  version: string;
  validFrom: string;
  validTo: string | null;
  /** PACT DQR ratings 1 (best) – 3, optional. */
  dqr?: { technological?: number; temporal?: number; geographical?: number };
  /**
   * Biogenic carbon of a material (ADR 0247), all optional, per activity `unit`: the carbon of biogenic origin the
   * material holds (kg C), and the biogenic CO2 emitted and removed making it (kg CO2, both ≥ 0). `biogenic: true`
   * marks a material of biogenic origin (paper, cardboard, wood, …): without a carbon content it is a warning on every
   * result that uses it, never a silent zero. Content or flows imply `biogenic`; `false` with a content > 0 is refused.
   */
  biogenic?: boolean;
  biogenicCarbonContent?: Num;
  biogenicCO2Emissions?: Num;
  biogenicCO2Removals?: Num;
}

export interface ElectricityMapping {
  id: string;
  site: string;
  validFrom: string;
  validTo: string | null;
  locationFactorId: string;
  /**
   * The market-based factor and its instrument, both or neither. Without them only location-based work is possible:
   * a market-based calculation is refused (ERR_FACTOR_MISSING), a location-based one reports its market figures with
   * the location factor standing in, and says so in a warning.
   */
  marketFactorId?: string;
  marketInstrument?: 'supplier-specific' | 'contractual-instrument' | 'residual-mix';
  provenance: string;
}

/** Where a part of a site's electricity comes from (docs/reference-data.md#supply, ADR 0250). */
export type SupplySourceType = 'onsite' | 'ppa' | 'certificate' | 'residual-mix';
export const SUPPLY_SOURCE_TYPES: readonly SupplySourceType[] = ['onsite', 'ppa', 'certificate', 'residual-mix'];

/**
 * One source of a supply mix. A contracted or certified source (onsite, ppa, certificate) gives either `volume` in
 * `unit` (an energy unit: kWh delivered or certified in the mix's period) or `sharePercent` of the site's metered
 * consumption; the one `residual-mix` source gives neither: it covers the rest of the consumption.
 */
export interface SupplySource {
  source: SupplySourceType;
  volume?: Num;
  unit?: string;
  sharePercent?: Num;
  /** An `electricity` factor: the source's emissions per unit of energy (0 for a renewable certificate). */
  factorId: string;
  /** The contract, certificate batch or registry entry (required for ppa and certificate). */
  instrument?: string;
}

/**
 * A site's electricity supply for [validFrom, validTo): contractual instruments first, the residual mix for the
 * uncovered rest (GHG Protocol Scope 2 market-based method). It replaces the market-based factor of the site's
 * electricity mapping in that period; the location-based factor stays the mapping's (the grid's).
 */
export interface SupplyMix {
  id: string;
  site: string;
  validFrom: string;
  validTo: string | null;
  /** In file order; exactly one is `residual-mix`. */
  sources: SupplySource[];
}

/** A PACT v2 ProductFootprint as supplied (validated on import); only the fields the engine reads are typed. */
export interface SupplierPcf {
  id: string;
  version: number;
  status: 'Active' | 'Deprecated';
  companyName: string;
  productIds: string[];
  pcf: {
    declaredUnit: string;
    unitaryProductAmount: string;
    pCfExcludingBiogenic: string;
    /** kg C per declared unit (required by PACT v2). */
    biogenicCarbonContent?: string;
    /** Optional in PACT v2: the PCF including biogenic emissions and removals, kgCO2e per declared unit. */
    pCfIncludingBiogenic?: string;
    referencePeriodStart: string;
    referencePeriodEnd: string;
    primaryDataShare?: number;
    [k: string]: unknown;
  };
  validityPeriodStart?: string;
  validityPeriodEnd?: string;
  [k: string]: unknown;
}

export interface ProductionOrder {
  id: string;
  line: string;
  product: string;
  start: string;
  end: string;
  goodQuantity: Num;
  scrapQuantity: Num;
}

export interface ReferenceTypes {
  sites: Site;
  lines: Line;
  products: Product;
  boms: Bom;
  'direct-emissions': DirectEmission;
  factors: EmissionFactor;
  electricity: ElectricityMapping;
  supply: SupplyMix;
  'supplier-pcfs': SupplierPcf;
  orders: ProductionOrder;
}

/** One stored entity of a kind at a version. `hash` is SHA-256 of its canonical JSON. */
export interface RefEntity<T = unknown> {
  entityId: string;
  version: number;
  hash: string;
  data: T;
}

/** All current reference data as of a version (every entity at its highest version ≤ asOf). */
export type ReferenceSnapshot = { asOfVersion: number } & {
  [K in ReferenceKind]: Map<string, RefEntity<ReferenceTypes[K]>>;
};
