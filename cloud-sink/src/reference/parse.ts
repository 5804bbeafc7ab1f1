import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { PcfError } from '@pcf-edge/core';
import { CSV_BOOLEAN_COLUMNS, CSV_COMPONENT_COLUMNS, CSV_DQR_COLUMNS, CSV_LIST_COLUMNS } from './schemas';
import type { ReferenceKind } from './types';

export interface RowError {
  row: number | 'header' | 'file';
  column: string;
  reason: string;
}

/** Parsed input rows; `row` numbers are 1-based data rows (CSV header excluded). */
export interface ParsedInput {
  rows: Record<string, unknown>[];
  text: string;
  headerErrors: RowError[];
  /** `csv`: errors name the CSV's columns (e.g. `CO2`), not the item's property paths (`components.CO2`). */
  format?: 'csv' | 'json';
}

/** Reads a CSV (by `.csv` extension) or JSON file into rows. JSON: an array, `{ data: [...] }` or one object. */
export function readReferenceFile(kind: ReferenceKind, file: string, requiredColumns: string[]): ParsedInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PcfError(
      'ERR_REFERENCE_INVALID',
      `cannot read ${file}: ${(err as Error).message}`,
      { file, errors: [] },
      { cause: err },
    );
  }
  return extname(file).toLowerCase() === '.csv'
    ? parseCsvText(kind, text, requiredColumns, file)
    : parseJsonText(text, file);
}

export function parseJsonText(text: string, file: string): ParsedInput {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const errors: RowError[] = [{ row: 'file', column: '', reason: `not valid JSON: ${(err as Error).message}` }];
    throw new PcfError('ERR_REFERENCE_INVALID', `${file}: not valid JSON: ${(err as Error).message}`, { file, errors });
  }
  const data =
    doc && typeof doc === 'object' && !Array.isArray(doc) && 'data' in doc ? (doc as { data: unknown }).data : doc;
  const rows = Array.isArray(data) ? data : [data];
  return { rows: rows as Record<string, unknown>[], text, headerErrors: [], format: 'json' };
}

export function parseCsvText(kind: ReferenceKind, text: string, requiredColumns: string[], file: string): ParsedInput {
  let records: Record<string, string>[];
  let header: string[] = [];
  try {
    records = parseCsv(text, {
      columns: (h: string[]) => {
        header = h.map((c) => c.trim());
        return header;
      },
      skip_empty_lines: true,
      trim: true,
    }) as Record<string, string>[];
  } catch (err) {
    const errors: RowError[] = [{ row: 'file', column: '', reason: `not valid CSV: ${(err as Error).message}` }];
    throw new PcfError('ERR_REFERENCE_INVALID', `${file}: not valid CSV: ${(err as Error).message}`, { file, errors });
  }
  const present = new Set(header);
  const headerErrors: RowError[] = requiredColumns
    .filter((c) => !present.has(c) && !(kind === 'factors' && c === 'components'))
    .map((c) => ({ row: 'header' as const, column: c, reason: 'missing column' }));
  if (kind === 'factors' && !CSV_COMPONENT_COLUMNS.some((c) => present.has(c))) {
    headerErrors.push({
      row: 'header',
      column: 'components',
      reason: `missing column: at least one of ${CSV_COMPONENT_COLUMNS.join(', ')}`,
    });
  }
  return { rows: records.map((r) => csvRow(kind, r)), text, headerErrors, format: 'csv' };
}

/** Empty cells are absent (or null for validTo/energyBasis); lists split on ';'; factor gas columns → components. */
function csvRow(kind: ReferenceKind, record: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const components: Record<string, string> = {};
  const dqr: Record<string, number> = {};
  for (const [k, v] of Object.entries(record)) {
    if (kind === 'factors' && CSV_COMPONENT_COLUMNS.includes(k)) {
      if (v !== '') components[k] = v;
    } else if (kind === 'factors' && k in CSV_DQR_COLUMNS) {
      if (v !== '') dqr[CSV_DQR_COLUMNS[k as keyof typeof CSV_DQR_COLUMNS]] = Number(v);
    } else if (v === '') {
      if (k === 'validTo' || k === 'energyBasis') out[k] = null;
    } else if (CSV_BOOLEAN_COLUMNS.has(k) && /^(true|false)$/i.test(v)) {
      out[k] = v.toLowerCase() === 'true';
    } else if (CSV_LIST_COLUMNS.has(k)) {
      out[k] = v
        .split(';')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    } else {
      out[k] = v;
    }
  }
  if (kind === 'factors') {
    out.components = components;
    if (Object.keys(dqr).length > 0) out.dqr = dqr;
  }
  return out;
}
