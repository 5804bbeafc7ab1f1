import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { parse as ParseYaml } from 'yaml';
import { copyConfigData } from './config-copy';
import { applyRenames } from './config-renames';
import { PcfError } from './errors';
import type { Logger } from './logger';

/**
 * Config loading: one JSON Schema per component compiled with ajv (`allErrors`, `useDefaults`), every object
 * closed with `additionalProperties: false` in the schema itself, the result deep-frozen. A failure is one
 * PcfError `ERR_CONFIG_INVALID` whose message and `details.errors` list every `path: message`.
 *
 * Schemas may mark settings with the custom keyword `x-restart: true` (changing them needs a restart); everything
 * else applies live. Deprecated spellings are declared with `x-renamed` (config-renames.ts): accepted for one
 * release, each logged as a warning naming the file, the old key and the new key. A `pattern` may come with
 * `x-rule`, the rule it encodes in words: a value that does not match is reported with that rule and the value
 * instead of the regular expression.
 */
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true, verbose: true });
addFormats(ajv);
ajv.addKeyword({ keyword: 'x-restart', schemaType: 'boolean' });
ajv.addKeyword({ keyword: 'x-renamed', schemaType: 'object' });
ajv.addKeyword({ keyword: 'x-rule', schemaType: 'string' });

const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** `path: message` for one ajv error, with the offending property named for additionalProperties. */
export function formatAjvError(e: ErrorObject): string {
  const path = e.instancePath === '' ? '/' : e.instancePath;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${path}: unknown property '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
    case 'required':
      return `${path}: missing required property '${String((e.params as { missingProperty: string }).missingProperty)}'`;
    case 'enum':
      return `${path}: ${e.message ?? 'invalid'} (${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')})`;
    case 'pattern': {
      const rule = (e.parentSchema as { 'x-rule'?: string } | undefined)?.['x-rule'];
      return rule ? `${path}: ${rule}; got ${JSON.stringify(e.data)}` : `${path}: ${e.message ?? 'invalid'}`;
    }
    default:
      return `${path}: ${e.message ?? 'invalid'}`;
  }
}

export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/**
 * yaml's parser, loaded on first use: a process whose configuration comes as JSON (every component under
 * Greengrass) does not load the library (about 0.3 MB of JavaScript in a bundle).
 */
function parseYaml(text: string): unknown {
  // a require (bundled, run when called) rather than an import, which a bundle evaluates at start-up
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('yaml') as { parse: typeof ParseYaml }).parse(text);
}

/** Reads a JSON or YAML file (by extension; `.yaml`/`.yml` are YAML, anything else JSON). */
export function readDataFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PcfError('ERR_CONFIG_READ', `cannot read ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  const ext = extname(file).toLowerCase();
  try {
    return ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new PcfError('ERR_CONFIG_READ', `cannot parse ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
}

/** A semantic check run after the schema passed: returns `path: message` strings for every problem found. */
export type SemanticCheck<T> = (config: T) => string[];

/**
 * Validates (applying defaults to a copy) and freezes. `source` names the file or origin in the error message and
 * in the deprecation warnings, which go to `log` (without one, to process.emitWarning: never silently).
 */
export function validateConfig<T>(
  data: unknown,
  schema: object,
  source: string,
  check?: SemanticCheck<T>,
  log?: Logger,
): Readonly<T> {
  const copy = copyConfigData(data);
  const renames = applyRenames(copy, schema);
  for (const { oldKey, newKey } of renames.accepted) warnDeprecated(source, oldKey, newKey, log);
  const validate = validatorFor(schema);
  let errors = renames.errors;
  if (errors.length === 0) {
    if (!validate(copy)) errors = (validate.errors ?? []).map(formatAjvError);
    else if (check) errors = check(copy as T);
  }
  if (errors.length > 0) {
    const unique = [...new Set(errors.map((e) => renames.translate(e)))];
    throw new PcfError('ERR_CONFIG_INVALID', `invalid configuration in ${source}:\n  ${unique.join('\n  ')}`, {
      source,
      errors: unique,
    });
  }
  return deepFreeze(copy as T);
}

function warnDeprecated(file: string, oldKey: string, newKey: string, log: Logger | undefined): void {
  if (log) {
    log.warn({ file, oldKey, newKey }, 'deprecated configuration key accepted; rename it before the next release');
  } else {
    process.emitWarning(`${file}: configuration key ${oldKey} is deprecated; use ${newKey}`, {
      type: 'DeprecationWarning',
      code: 'PCF_EDGE_CONFIG_KEY',
    });
  }
}

export function loadConfig<T>(file: string, schema: object, check?: SemanticCheck<T>, log?: Logger): Readonly<T> {
  return validateConfig<T>(readDataFile(file), schema, file, check, log);
}

/** Top-level keys of `schema.properties` marked `x-restart: true`. */
export function restartKeys(schema: object): string[] {
  const { properties } = schema as { properties?: Record<string, { 'x-restart'?: boolean }> };
  return Object.entries(properties ?? {})
    .filter(([, s]) => s['x-restart'] === true)
    .map(([k]) => k);
}
