/**
 * The part of the PACT Technical Specification v2 ProductFootprint that a supplier PCF must satisfy to be used
 * (required properties per spec v2.0–2.3; decimal strings as the spec defines them). Extra properties are allowed,
 * as in the spec's extension model.
 */
const decimalString = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' };
const nonNegativeDecimal = { type: 'string', pattern: '^\\d+(\\.\\d+)?$' };
const urnList = { type: 'array', minItems: 1, items: { type: 'string', pattern: '^urn:' } };

export const PACT_PRODUCT_FOOTPRINT_SCHEMA = {
  type: 'object',
  required: ['id', 'specVersion', 'version', 'created', 'status', 'companyName', 'companyIds', 'productDescription',
    'productIds', 'productCategoryCpc', 'productNameCompany', 'comment', 'pcf'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    specVersion: { type: 'string', pattern: '^2\\.\\d+\\.\\d+$' },
    precedingPfIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
    version: { type: 'integer', minimum: 0 },
    created: { type: 'string', format: 'date-time' },
    updated: { type: 'string', format: 'date-time' },
    status: { enum: ['Active', 'Deprecated'] },
    validityPeriodStart: { type: 'string', format: 'date-time' },
    validityPeriodEnd: { type: 'string', format: 'date-time' },
    companyName: { type: 'string', minLength: 1 },
    companyIds: urnList,
    productDescription: { type: 'string' },
    productIds: urnList,
    productCategoryCpc: { type: 'string', minLength: 1 },
    productNameCompany: { type: 'string', minLength: 1 },
    comment: { type: 'string' },
    pcf: {
      type: 'object',
      required: ['declaredUnit', 'unitaryProductAmount', 'pCfExcludingBiogenic', 'fossilGhgEmissions', 'fossilCarbonContent',
        'biogenicCarbonContent', 'characterizationFactors', 'crossSectoralStandardsUsed', 'boundaryProcessesDescription',
        'referencePeriodStart', 'referencePeriodEnd', 'exemptedEmissionsPercent', 'exemptedEmissionsDescription',
        'packagingEmissionsIncluded'],
      properties: {
        declaredUnit: { enum: ['liter', 'kilogram', 'cubic meter', 'kilowatt hour', 'megajoule', 'ton kilometer', 'square meter'] },
        unitaryProductAmount: { type: 'string', pattern: '^\\d+(\\.\\d+)?$', not: { pattern: '^0+(\\.0+)?$' } },
        pCfExcludingBiogenic: nonNegativeDecimal,
        pCfIncludingBiogenic: decimalString,
        fossilGhgEmissions: nonNegativeDecimal,
        fossilCarbonContent: nonNegativeDecimal,
        biogenicCarbonContent: nonNegativeDecimal,
        characterizationFactors: { enum: ['AR5', 'AR6'] },
        ipccCharacterizationFactorsSources: { type: 'array', items: { type: 'string' } },
        crossSectoralStandardsUsed: { type: 'array', minItems: 1, items: { type: 'string' } },
        boundaryProcessesDescription: { type: 'string' },
        referencePeriodStart: { type: 'string', format: 'date-time' },
        referencePeriodEnd: { type: 'string', format: 'date-time' },
        geographyCountry: { type: 'string', pattern: '^[A-Z]{2}$' },
        exemptedEmissionsPercent: { type: 'number', minimum: 0, maximum: 5 },
        exemptedEmissionsDescription: { type: 'string' },
        packagingEmissionsIncluded: { type: 'boolean' },
        primaryDataShare: { type: 'number', minimum: 0, maximum: 100 },
      },
    },
  },
};
