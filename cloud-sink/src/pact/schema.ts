import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The PACT v2 ProductFootprint JSON schema kept in the repository (cloud-sink/schemas/pact-v2). */
export const PACT_V2_SCHEMA_FILE = resolve(__dirname, '../../schemas/pact-v2/product-footprint.schema.json');

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(PACT_V2_SCHEMA_FILE, 'utf8')) as object);

/** Schema problems of a footprint as `path: message` strings; empty when it is valid. */
export function pactSchemaErrors(footprint: unknown): string[] {
  if (validate(footprint)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}
