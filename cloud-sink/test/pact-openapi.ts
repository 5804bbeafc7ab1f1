import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Validation against the published PACT OpenAPI descriptions (cloud-sink/schemas/pact-openapi): the response
 * schema of a path, method and status, or a component schema (events). OpenAPI 3.1 schemas are JSON Schema
 * 2020-12; `$ref`s to components become `$defs`, vendor keys are dropped, and the v3 file's loose spots are read as
 * meant (README there).
 */
const DIR = join(__dirname, '../schemas/pact-openapi');
const FILES = { 2: 'pact-v2.3.3.openapi.yaml', 3: 'pact-v3.0.3.openapi.yaml' } as const;
type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown>; responses?: Record<string, unknown> };
};

/** A schema as JSON Schema 2020-12: component refs to `$defs`, vendor and example keys dropped, loose spots read as meant. */
function normalise(node: unknown, schemas: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((n) => normalise(n, schemas));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k.startsWith('x-') || k === 'example' || k === 'examples' || k === 'discriminator') continue;
    if (k === 'description' && typeof v !== 'string') continue; // v3: a few descriptions are not strings
    if (k === '$ref' && typeof v === 'string') out.$ref = v.replace('#/components/schemas/', '#/$defs/');
    else if (k === 'type' && v === 'str') out.type = 'string';
    else if (k === 'properties' && v && typeof v === 'object') {
      // v3: properties: { $ref: '#/components/schemas/BaseEvent/properties', data: … } — the named properties merged
      const { $ref, ...own } = v as Record<string, unknown>;
      const base = $ref ? ((schemas[String($ref).split('/')[3]!] as { properties?: object })?.properties ?? {}) : {};
      out.properties = Object.fromEntries(
        Object.entries({ ...base, ...own }).map(([name, schema]) => [name, normalise(schema, schemas)]),
      );
    } else out[k] = normalise(v, schemas);
  }
  return out;
}

function compiler(version: 2 | 3) {
  const doc = parse(readFileSync(join(DIR, FILES[version]), 'utf8')) as Doc;
  const defs = Object.fromEntries(
    Object.entries(doc.components.schemas).map(([name, schema]) => [name, normalise(schema, doc.components.schemas)]),
  );
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const f of ['decimal', 'uint', 'urn', 'int32', 'float']) ajv.addFormat(f, true);
  const cache = new Map<string, ValidateFunction>();
  const compile = (key: string, schema: unknown) => {
    let v = cache.get(key);
    if (!v)
      cache.set(key, (v = ajv.compile({ ...(normalise(schema, doc.components.schemas) as object), $defs: defs })));
    return v;
  };
  const resolve = (r: unknown): unknown => {
    const ref = (r as { $ref?: string })?.$ref;
    if (!ref) return r;
    const [, , kind, name] = ref.split('/');
    return resolve((doc.components as Record<string, Record<string, unknown>>)[kind!]![name!]);
  };
  return { doc, compile, resolve };
}
const compilers = { 2: compiler(2), 3: compiler(3) };

const problems = (v: ValidateFunction, body: unknown) =>
  v(body) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);

/** Problems of a response body against the OpenAPI schema of `GET|POST path` with `status` ([] when valid). */
export function openApiResponseProblems(
  version: 2 | 3,
  method: 'get' | 'post',
  path: string,
  status: number,
  body: unknown,
): string[] {
  const c = compilers[version];
  const op = c.doc.paths[path]?.[method];
  if (!op) return [`no ${method} ${path} in the PACT v${version} OpenAPI`];
  const response = c.resolve(op.responses[String(status)]) as
    { content?: Record<string, { schema?: unknown }> } | undefined;
  if (!response) return [`status ${status} is not a documented response of ${method} ${path}`];
  const schema = response.content?.['application/json']?.schema;
  if (schema === undefined) return body === undefined || body === '' ? [] : [`${method} ${path} ${status} has no body`];
  // v2 §8.9 / conformance case 8 spell the 404 code NoSuchFootprint; the v2 OpenAPI enum spells it NotFound
  const checked =
    version === 2 && status === 404 && (body as { code?: unknown })?.code === 'NoSuchFootprint'
      ? { ...(body as object), code: 'NotFound' }
      : body;
  return problems(c.compile(`${method} ${path} ${status}`, c.resolve(schema)), checked);
}

/** Problems of a document against a component schema (events: RequestFulfilledEvent, PublishedEvent, …). */
export function openApiSchemaProblems(version: 2 | 3, component: string, body: unknown): string[] {
  const c = compilers[version];
  if (!(component in c.doc.components.schemas)) return [`no schema ${component} in the PACT v${version} OpenAPI`];
  return problems(c.compile(`#${component}`, { $ref: `#/$defs/${component}` }), body);
}
