import type { ReferenceKind } from './types';

/**
 * One JSON Schema per reference kind, applied to each row after CSV/JSON parsing (CSV cells arrive as strings;
 * numeric cells stay decimal strings so no precision is lost). Semantic checks (units, references, cycles,
 * overlaps) follow in `checks.ts`.
 */
const id = { type: 'string', minLength: 1, maxLength: 200 };
/** A decimal number: a JSON number or a string such as `12`, `0.5`, `.5`, `-3`, `1.2e3` (stored plainly: `0.5`). */
export const DECIMAL_DESCRIPTION = 'a decimal number, e.g. 12, 0.5, .5, -3 or 1.2e3';
const num = {
  description: DECIMAL_DESCRIPTION,
  anyOf: [{ type: 'number' }, { type: 'string', pattern: '^[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?$' }],
};
/** A unit of the catalogue in any accepted spelling; stored as its symbol (see `normalize.ts`). */
const unit = {
  type: 'string',
  minLength: 1,
  description: 'a unit of the catalogue (docs/reference-data.md#units), e.g. kg, l, gal, kWh, MJ, MMBtu, therm, tkm',
};
const instant = { type: 'string', format: 'date-time' };
const dateOrInstant = { anyOf: [{ type: 'string', format: 'date' }, instant] };
const nullableDate = { anyOf: [dateOrInstant, { type: 'null' }] };

const row = (required: string[], properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

export const REFERENCE_SCHEMAS: Record<Exclude<ReferenceKind, 'supplier-pcfs'>, object> = {
  sites: row(['id', 'region'], {
    id,
    name: { type: 'string' },
    region: id,
    country: { type: 'string', pattern: '^[A-Z]{2}$' },
  }),
  lines: row(['id', 'site'], { id, site: id, name: { type: 'string' } }),
  products: row(['id', 'declaredUnit', 'unitaryProductAmount', 'productIds'], {
    id,
    name: { type: 'string' },
    declaredUnit: {
      ...unit,
      description:
        'kg, l, m3, kWh, MJ, tkm, m2 or piece, or the PACT name (kilogram, liter, cubic meter, kilowatt hour, megajoule, ton kilometer, square meter)',
    },
    unitaryProductAmount: num,
    massKgPerDeclaredUnit: num,
    economicValuePerDeclaredUnit: num,
    fossilCarbonContentKgPerDeclaredUnit: num,
    biogenicCarbonContentKgPerDeclaredUnit: num,
    productIds: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description: 'URNs; a plain code is stored as urn:pathfinder:product:customcode:vendor-assigned:<code>',
    },
  }),
  boms: row(['product', 'component', 'componentKind', 'quantity', 'unit'], {
    product: id,
    component: id,
    componentKind: { enum: ['product', 'material', 'supplierProduct'] },
    quantity: num,
    unit,
    region: id,
  }),
  'direct-emissions': row(['id', 'scope', 'ref', 'gas', 'amountKg', 'per', 'validFrom'], {
    id,
    scope: { enum: ['product', 'line'] },
    ref: id,
    gas: { type: 'string' },
    amountKg: num,
    per: { enum: ['declaredUnit', 'hour'] },
    validFrom: dateOrInstant,
    validTo: nullableDate,
  }),
  factors: row(['id', 'activity', 'region', 'unit', 'components', 'source', 'version', 'validFrom'], {
    id,
    activity: id,
    region: id,
    unit,
    energyBasis: { enum: ['gross', 'net', null] },
    components: { type: 'object', minProperties: 1, additionalProperties: num },
    source: { type: 'string', minLength: 1 },
    version: { type: 'string', minLength: 1 },
    validFrom: dateOrInstant,
    validTo: nullableDate,
    dqr: {
      type: 'object',
      additionalProperties: false,
      properties: {
        technological: { type: 'number', minimum: 1, maximum: 3 },
        temporal: { type: 'number', minimum: 1, maximum: 3 },
        geographical: { type: 'number', minimum: 1, maximum: 3 },
      },
    },
    // biogenic carbon of a material (ADR 0247), per `unit`: kg C, kg CO2 emitted, kg CO2 removed (each ≥ 0)
    biogenic: { type: 'boolean', description: 'true for a material of biogenic origin (paper, cardboard, wood, …)' },
    biogenicCarbonContent: num,
    biogenicCO2Emissions: num,
    biogenicCO2Removals: num,
  }),
  electricity: {
    ...row(['id', 'site', 'validFrom', 'locationFactorId', 'provenance'], {
      id,
      site: id,
      validFrom: dateOrInstant,
      validTo: nullableDate,
      locationFactorId: id,
      marketFactorId: id,
      marketInstrument: { enum: ['supplier-specific', 'contractual-instrument', 'residual-mix'] },
      provenance: { type: 'string', minLength: 1 },
    }),
    // a market factor comes with its instrument; neither is needed for location-based work
    dependencies: { marketFactorId: ['marketInstrument'], marketInstrument: ['marketFactorId'] },
  },
  // one row per source; the rows of one id are one site's supply mix for [validFrom, validTo) (ADR 0250)
  supply: {
    ...row(['id', 'site', 'validFrom', 'source', 'factorId'], {
      id,
      site: id,
      validFrom: dateOrInstant,
      validTo: nullableDate,
      source: { enum: ['onsite', 'ppa', 'certificate', 'residual-mix'] },
      // energy in `unit` delivered or certified in the mix's period, or % of the site's metered consumption
      volume: num,
      unit: { ...unit, description: 'an energy unit of the catalogue: kWh, MWh, GWh, MJ, GJ, MMBtu, …' },
      sharePercent: num,
      factorId: id,
      instrument: { type: 'string', minLength: 1 },
    }),
    // a volume has its unit
    dependencies: { volume: ['unit'], unit: ['volume'] },
  },
  orders: row(['id', 'line', 'product', 'start', 'end', 'goodQuantity', 'scrapQuantity'], {
    id,
    line: id,
    product: id,
    start: instant,
    end: instant,
    goodQuantity: num,
    scrapQuantity: num,
  }),
};

/** CSV columns holding arrays (split on ';') and the factor gas columns gathered into `components`. */
export const CSV_LIST_COLUMNS = new Set(['productIds']);
/** CSV columns holding true/false (any case); another word stays text and the schema names the column. */
export const CSV_BOOLEAN_COLUMNS = new Set(['biogenic']);
export const CSV_COMPONENT_COLUMNS = ['CO2', 'CH4', 'CH4_fossil', 'CH4_nonfossil', 'N2O', 'SF6', 'NF3', 'CO2e'];
export const CSV_DQR_COLUMNS = {
  dqrTechnological: 'technological',
  dqrTemporal: 'temporal',
  dqrGeographical: 'geographical',
} as const;
