import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importReferenceFile, type ImportResult } from '../reference/import';
import type { ReferenceKind } from '../reference/types';
import type { CloudSinkRepository } from '../store/repository';

/** Import order: every kind after the kinds it references. */
export const IMPORT_ORDER: ReferenceKind[] = [
  'sites',
  'lines',
  'products',
  'factors',
  'supplier-pcfs',
  'boms',
  'electricity',
  'supply',
  'direct-emissions',
  'orders',
];

export const DEMO_DIR = resolve(__dirname, '../../examples/demo-factory');

/** Imports every `<kind>.csv` or `<kind>.json` found in `dir`, in dependency order. */
export async function importDirectory(repo: CloudSinkRepository, dir = DEMO_DIR): Promise<ImportResult[]> {
  const out: ImportResult[] = [];
  for (const kind of IMPORT_ORDER) {
    for (const ext of ['csv', 'json']) {
      const file = join(dir, `${kind}.${ext}`);
      if (existsSync(file)) out.push(await importReferenceFile(repo, kind, file));
    }
  }
  return out;
}
