import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { PcfError } from '@pcf-edge/core';
import type { RawArchive } from '../archive/archive';
import { contentHash, sha256 } from '../audit/hash';
import type { CloudSinkRepository } from '../store/repository';
import { checkCandidates, type Candidate } from './checks';
import { PACT_PRODUCT_FOOTPRINT_SCHEMA } from './pact-schema';
import { readReferenceFile, type ParsedInput, type RowError } from './parse';
import { normalizeRows } from './normalize';
import { CSV_DQR_COLUMNS, DECIMAL_DESCRIPTION, REFERENCE_SCHEMAS } from './schemas';
import { loadSnapshot, withEntities } from './snapshot';
import { supplyCandidates } from './supply';
import type { BomLine, RefEntity, ReferenceKind, ReferenceSnapshot } from './types';

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true });
addFormats(ajv);
const validators = Object.fromEntries(
  [...Object.entries(REFERENCE_SCHEMAS), ['supplier-pcfs', PACT_PRODUCT_FOOTPRINT_SCHEMA]].map(([k, s]) => [
    k,
    ajv.compile(s as object),
  ]),
) as Record<ReferenceKind, ReturnType<typeof ajv.compile>>;

export function requiredColumns(kind: ReferenceKind): string[] {
  const schema = kind === 'supplier-pcfs' ? PACT_PRODUCT_FOOTPRINT_SCHEMA : REFERENCE_SCHEMAS[kind];
  return (schema as { required: string[] }).required;
}

export interface ImportResult {
  kind: ReferenceKind;
  version: number;
  entities: number;
}

/**
 * Imports one reference file as a new version of `kind`. All-or-nothing: any bad row ⇒ ERR_REFERENCE_INVALID whose
 * `details.errors` lists every bad row as { row, column, reason } and nothing is written.
 */
export async function importReferenceFile(
  repo: CloudSinkRepository,
  kind: ReferenceKind,
  file: string,
  archive?: RawArchive,
): Promise<ImportResult> {
  return importParsed(repo, kind, readReferenceFile(kind, file, requiredColumns(kind)), file, archive);
}

/** What `validateParsed` found: the entities the file would store (canonical form) and every problem. */
export interface ValidatedInput {
  candidates: Candidate[];
  /** Every problem, in row order, with the file's own column names; empty ⇒ the file imports. */
  errors: RowError[];
  /** The current reference data the file was checked against. */
  current: ReferenceSnapshot;
}

/**
 * Checks parsed reference data exactly as the import does (JSON Schema, canonical form, semantic checks against the
 * current version) and writes nothing. The import and its validate-only preview (`previewParsed`) both call it.
 */
export async function validateParsed(
  repo: CloudSinkRepository,
  kind: ReferenceKind,
  input: ParsedInput,
): Promise<ValidatedInput> {
  const errors: RowError[] = [...input.headerErrors];
  if (errors.length === 0) input.rows.forEach((row, i) => errors.push(...schemaErrors(kind, row, i + 1)));
  const current = await loadSnapshot(repo);
  if (errors.length > 0) return { candidates: [], errors: finish(kind, input, errors), current };
  normalizeRows(kind, input.rows, errors);
  const candidates = toCandidates(kind, input.rows, errors);
  const asEntities: RefEntity[] = candidates.map((c) => ({
    entityId: c.entityId,
    version: Number.MAX_SAFE_INTEGER,
    hash: '',
    data: c.data,
  }));
  errors.push(...checkCandidates(kind, candidates, withEntities(current, kind, asEntities)));
  return { candidates, errors: finish(kind, input, errors), current };
}

/**
 * Validates and imports parsed reference data. With `archive`, the file's text is archived verbatim (UTF-8) under its
 * SHA-256 — the `sha256` of its reference version — before the version is stored.
 */
export async function importParsed(
  repo: CloudSinkRepository,
  kind: ReferenceKind,
  input: ParsedInput,
  source: string,
  archive?: RawArchive,
): Promise<ImportResult> {
  const { candidates, errors } = await validateParsed(repo, kind, input);
  if (errors.length > 0) throw referenceError(kind, source, errors);
  const entities = candidates.map((c) => ({ entityId: c.entityId, hash: contentHash(c.data), data: c.data }));
  if (archive) await archive.put('reference', Buffer.from(input.text, 'utf8'));
  const version = await repo.importReference({ kind, source, sha256: sha256(input.text), entities });
  return { kind, version, entities: entities.length };
}

/**
 * Errors deduplicated, in row order (header and file first), each column named as the file names it: a CSV factor
 * file has columns `CO2`, `dqrTemporal`, … where the stored item has `components.CO2`, `dqr.temporal`.
 */
function finish(kind: ReferenceKind, input: ParsedInput, errors: RowError[]): RowError[] {
  const rank = (e: RowError) => (typeof e.row === 'number' ? e.row : 0);
  const named = errors.map((e) => (input.format === 'csv' ? { ...e, column: csvColumn(kind, e.column) } : e));
  return [...new Map(named.map((e) => [`${e.row}|${e.column}|${e.reason}`, e])).values()].sort(
    (a, b) => rank(a) - rank(b),
  );
}

const DQR_CSV = Object.fromEntries(Object.entries(CSV_DQR_COLUMNS).map(([csv, item]) => [`dqr.${item}`, csv]));

/** The CSV column of an item property path (factors only differ). */
function csvColumn(kind: ReferenceKind, column: string): string {
  if (kind !== 'factors') return column;
  if (column.startsWith('components.')) return column.slice('components.'.length);
  return DQR_CSV[column] ?? column;
}

/** A row's schema violations, one per column and reason; a bad decimal is said in words, not as a pattern. */
function schemaErrors(kind: ReferenceKind, row: Record<string, unknown>, rowNo: number): RowError[] {
  const validate = validators[kind];
  if (validate(row)) return [];
  const all = validate.errors ?? [];
  const decimals = all.filter(
    (e) => e.keyword === 'anyOf' && (e.parentSchema as { description?: string }).description === DECIMAL_DESCRIPTION,
  );
  const out: RowError[] = [];
  for (const e of all) {
    const column = e.instancePath.slice(1).replace(/\//g, '.');
    if (decimals.includes(e)) {
      out.push({
        row: rowNo,
        column,
        reason: `not a decimal number: ${JSON.stringify(e.data)} (${DECIMAL_DESCRIPTION})`,
      });
      continue;
    }
    if (e.keyword === 'anyOf' || e.keyword === 'if') continue;
    if (decimals.some((d) => e.schemaPath.startsWith(`${d.schemaPath}/`) && e.instancePath === d.instancePath))
      continue;
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    out.push({
      row: rowNo,
      column: missing ?? column,
      reason: missing
        ? `missing value${e.keyword === 'dependencies' ? ` (needed with ${(e.params as { property: string }).property})` : ''}`
        : `${e.message ?? 'invalid'}${e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')})` : ''}`,
    });
  }
  return out;
}

function referenceError(kind: ReferenceKind, source: string, errors: RowError[]): PcfError {
  const lines = errors.map(
    (e) => `${typeof e.row === 'number' ? `row ${e.row}` : e.row}, column ${e.column || '-'}: ${e.reason}`,
  );
  return new PcfError(
    'ERR_REFERENCE_INVALID',
    `${kind} import from ${source} rejected, nothing applied:\n  ${lines.join('\n  ')}`,
    { kind, source, errors },
  );
}

/**
 * Rows → entities: BOM rows group by product, supply rows by mix id; every other kind is one entity per row keyed by
 * `id`.
 */
function toCandidates(kind: ReferenceKind, rows: Record<string, unknown>[], errors: RowError[]): Candidate[] {
  if (kind === 'supply') return supplyCandidates(rows, errors);
  if (kind === 'boms') {
    const byProduct = new Map<string, Candidate>();
    rows.forEach((r, i) => {
      const product = r.product as string;
      const c = byProduct.get(product) ?? { entityId: product, data: { product, lines: [] as BomLine[] }, rows: [] };
      const { product: _p, ...line } = r;
      (c.data as { lines: BomLine[] }).lines.push(line as unknown as BomLine);
      c.rows.push(i + 1);
      byProduct.set(product, c);
    });
    return [...byProduct.values()];
  }
  const seen = new Map<string, number>();
  return rows.map((r, i) => {
    const entityId = r.id as string;
    const first = seen.get(entityId);
    if (first !== undefined)
      errors.push({ row: i + 1, column: 'id', reason: `duplicate id '${entityId}' (also row ${first})` });
    seen.set(entityId, i + 1);
    return { entityId, data: r, rows: [i + 1] };
  });
}
