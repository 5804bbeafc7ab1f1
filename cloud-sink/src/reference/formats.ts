import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PACT_PRODUCT_FOOTPRINT_SCHEMA } from './pact-schema';
import { REFERENCE_SCHEMAS } from './schemas';
import type { ReferenceKind } from './types';

/**
 * What a user needs to write a reference file: a template per kind (the worked example of docs/reference-data.md,
 * importable as it is) and the JSON Schema one row (CSV) or entity (JSON) must satisfy. Served by the API under
 * /api/reference/:kind/template and /api/reference/:kind/schema.
 */
export const TEMPLATE_DIR = resolve(__dirname, '../../templates/reference');

export interface ReferenceTemplate {
  fileName: string;
  contentType: string;
  text: string;
}

/** The template of `kind`: CSV, except supplier PCFs (PACT ProductFootprint JSON). */
export function referenceTemplate(kind: ReferenceKind): ReferenceTemplate {
  const fileName = kind === 'supplier-pcfs' ? `${kind}.json` : `${kind}.csv`;
  return {
    fileName,
    contentType: kind === 'supplier-pcfs' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8',
    text: readFileSync(resolve(TEMPLATE_DIR, fileName), 'utf8'),
  };
}

const CSV_NOTE =
  'A CSV file has one row per item, columns named as the properties; empty cells are absent (validTo and ' +
  'energyBasis: null); productIds are separated by ";"; factor gases are the columns CO2, CH4, CH4_fossil, ' +
  'CH4_nonfossil, N2O, SF6, NF3, CO2e and DQR ratings dqrTechnological, dqrTemporal, dqrGeographical. A JSON file ' +
  'is an array of items, or { "data": [...] }. Units may be written in any accepted spelling and are stored as ' +
  'their catalogue symbol; see docs/reference-data.md.';

/** The JSON Schema (draft-07) of one item of `kind`, as the import applies it. */
export function referenceJsonSchema(kind: ReferenceKind): object {
  const item = kind === 'supplier-pcfs' ? PACT_PRODUCT_FOOTPRINT_SCHEMA : REFERENCE_SCHEMAS[kind];
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `urn:pcf-edge:reference:${kind}`,
    title: `pcf-edge reference data: one item of ${kind}`,
    description:
      kind === 'supplier-pcfs'
        ? 'A PACT Technical Specification v2 ProductFootprint: the properties a supplier PCF must have to be used. A file is an array of them.'
        : kind === 'boms'
          ? `One BOM line; the lines of a product together are its bill of materials. ${CSV_NOTE}`
          : kind === 'supply'
            ? `One source of a site's electricity supply; the rows of one id together are the supply mix. ${CSV_NOTE}`
            : CSV_NOTE,
    ...item,
  };
}
