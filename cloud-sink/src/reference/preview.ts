import { canonicalJson, contentHash } from '../audit/hash';
import type { CloudSinkRepository } from '../store/repository';
import { validateParsed } from './import';
import type { ParsedInput, RowError } from './parse';
import type { RefEntity, ReferenceKind } from './types';

/** One changed property of an item: its stored value and the file's (canonical form, absent = undefined). */
export interface FieldChange {
  column: string;
  before: unknown;
  after: unknown;
}

/** What importing a file would do (ADR 0244). Nothing is written to produce it. */
export interface ReferencePreview {
  kind: ReferenceKind;
  /** The reference version the file was compared with (the latest, of any kind). */
  currentVersion: number;
  /** True when the file imports as it is (no errors). */
  valid: boolean;
  /** Items the file adds (their ids are new), with the data rows they come from (1-based after a CSV header). */
  added: { id: string; rows: number[] }[];
  /** Items the file replaces with other content, with every property that differs. */
  changed: { id: string; rows: number[]; fields: FieldChange[] }[];
  /** Items the file repeats as stored: an import stores them again in a new version, with the same hash. */
  unchanged: { id: string; rows: number[] }[];
  /**
   * Items of this kind stored now that the file does not name. An import never removes (it replaces same-id items
   * and keeps the others), so these stay as they are; the "removed" is always this list with nothing lost.
   */
  kept: { id: string }[];
  /** Every problem, as the import would report it: row (or `header`, `file`), column and reason. */
  errors: RowError[];
}

/** The properties of two items (top level; a BOM's `lines` as one) whose canonical JSON differs. */
function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const b = (before ?? {}) as Record<string, unknown>,
    a = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const same = (x: unknown, y: unknown) => canonicalJson(x ?? null) === canonicalJson(y ?? null);
  return keys.filter((k) => !same(b[k], a[k])).map((column) => ({ column, before: b[column], after: a[column] }));
}

/**
 * Validates `input` as `importParsed` does and compares its items, by entity id, with the current version of `kind`:
 * an item is changed when its content hash (SHA-256 of canonical JSON, as stored) differs. Writes nothing. A file
 * whose rows pass the JSON Schema gets its comparison beside any semantic errors; one that fails it, errors only.
 */
export async function previewParsed(
  repo: CloudSinkRepository,
  kind: ReferenceKind,
  input: ParsedInput,
): Promise<ReferencePreview> {
  const { candidates, errors, current } = await validateParsed(repo, kind, input);
  const stored = current[kind] as Map<string, RefEntity>;
  const preview: ReferencePreview = {
    kind,
    currentVersion: current.asOfVersion,
    valid: errors.length === 0,
    added: [],
    changed: [],
    unchanged: [],
    kept: [],
    errors,
  };
  const named = new Set<string>();
  for (const c of candidates) {
    named.add(c.entityId);
    const old = stored.get(c.entityId);
    if (!old) preview.added.push({ id: c.entityId, rows: c.rows });
    else if (old.hash === contentHash(c.data)) preview.unchanged.push({ id: c.entityId, rows: c.rows });
    else preview.changed.push({ id: c.entityId, rows: c.rows, fields: fieldChanges(old.data, c.data) });
  }
  for (const id of [...stored.keys()].sort()) if (!named.has(id)) preview.kept.push({ id });
  return preview;
}
