import { HISTORY_COLUMNS, KEPT_COLUMNS } from './migrations';
import type { DecodedRollup, StoredRollup } from './repository';

/**
 * A shard's checkpoint, moved forward only: Kinesis sequence numbers are decimal integers without leading zeros, so
 * a longer one is larger, and of equal length the string order is the number order. Two consumers reading one
 * shard (a takeover, a misassignment) therefore never move it back. `collate`: PostgreSQL compares in "C" order.
 */
export const saveCheckpointSql = (p: (i: number) => string, collate = ''): string =>
  `INSERT INTO shard_checkpoints (stream, shard_id, sequence_number, updated_at_ms) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})
  ON CONFLICT (stream, shard_id) DO UPDATE SET sequence_number = excluded.sequence_number, updated_at_ms = excluded.updated_at_ms
  WHERE length(excluded.sequence_number) > length(shard_checkpoints.sequence_number)
    OR (length(excluded.sequence_number) = length(shard_checkpoints.sequence_number)
      AND excluded.sequence_number${collate} > shard_checkpoints.sequence_number${collate})`;

/**
 * The current view's upsert, keeping the highest revision: a lower or equal revision changes nothing (0 rows). The
 * view carries each revision's document as received; the row it replaces goes to the history by a trigger (migration
 * 270, ADR 0270), in the same transaction. Portable to PostgreSQL.
 */
export const UPSERT_ROLLUP = `INSERT INTO rollups (id, revision, type, site, line, window_start_ms, window_ms, electricity_ukwh, gas_um3,
  gas_ukwh, gas_cv_basis, baseload_ukwh, units_good, units_scrap, coverage, estimated, doc, received_at_ms)
  VALUES (@id, @revision, @type, @site, @line, @windowStartMs, @windowMs, @electricityMicroKWh, @gasMicroM3, @gasMicroKWh,
  @gasCvBasis, @baseloadMicroKWh, @unitsGood, @unitsScrap, @coverage, @estimated, @doc, @receivedAtMs)
  ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, type = excluded.type, site = excluded.site, line = excluded.line,
  window_start_ms = excluded.window_start_ms, window_ms = excluded.window_ms, electricity_ukwh = excluded.electricity_ukwh,
  gas_um3 = excluded.gas_um3, gas_ukwh = excluded.gas_ukwh, gas_cv_basis = excluded.gas_cv_basis, baseload_ukwh = excluded.baseload_ukwh,
  units_good = excluded.units_good, units_scrap = excluded.units_scrap, coverage = excluded.coverage,
  estimated = excluded.estimated, doc = excluded.doc, received_at_ms = excluded.received_at_ms
  WHERE excluded.revision > rollups.revision`;

/**
 * SQLite's form of UPSERT_ROLLUP in two statements: a new id is inserted (1 row); for an id the view holds,
 * REPLACE_ROLLUP puts a higher revision in its place (1 row), the trigger keeping the replaced row. An upsert would
 * make every insert a statement that may fire the UPDATE trigger, which costs SQLite a statement journal per row
 * (ADR 0270). Parameters: INSERT_NEW_ROLLUP as UPSERT_NAMES; REPLACE_ROLLUP UPSERT_NAMES without id, then id, revision.
 */
export const INSERT_NEW_ROLLUP = `${UPSERT_ROLLUP.slice(0, UPSERT_ROLLUP.indexOf('ON CONFLICT'))}ON CONFLICT (id) DO NOTHING`;
export const REPLACE_ROLLUP = `UPDATE rollups SET ${UPSERT_ROLLUP.slice(
  UPSERT_ROLLUP.indexOf('DO UPDATE SET') + 14,
  UPSERT_ROLLUP.indexOf('WHERE excluded'),
)
  .replace(/excluded\.\w+/g, '?')
  .trim()} WHERE id = ? AND revision < ?`;

/** The parameter names of a kept revision, in the order of `HISTORY_COLUMNS`: UPSERT_ROLLUP's, which lists the same. */
export const REVISION_NAMES = [...UPSERT_ROLLUP.matchAll(/@(\w+)/g)].map((m) => m[1]!);

/**
 * Appends a received revision that the current view did not take (lower than the view's, or below another revision
 * of the same write) to the history (ADR 0270). (id, revision) is the key and a kept revision is never changed: one
 * already kept, in the history or as the current view, changes nothing (0 rows), so what an audit record names stays
 * what was used. Parameters: REVISION_NAMES, then id and revision again. SQLite's form (the WHERE clause also settles
 * its parser's ON CONFLICT ambiguity); PostgreSQL unnests column arrays (postgres.ts).
 */
export const KEEP_REVISION_POSITIONAL = `INSERT INTO rollup_revisions (${HISTORY_COLUMNS})
  SELECT ${REVISION_NAMES.map(() => '?').join(', ')}
  WHERE NOT EXISTS (SELECT 1 FROM rollups c WHERE c.id = ? AND c.revision = ?) ON CONFLICT (id, revision) DO NOTHING`;

/** The parameter names of UPSERT_ROLLUP, in order (positional binding: `rollupParams`). */
export const UPSERT_NAMES = REVISION_NAMES;
/** UPSERT_ROLLUP with positional `?` parameters (better-sqlite3 binds an array faster than names). */
export const UPSERT_ROLLUP_POSITIONAL = UPSERT_ROLLUP.replace(/@\w+/g, '?');

/** The columns of a stored rollup (the document as received is left out: it is for export and forensics). */
export const ROLLUP_COLUMNS = `id, revision, type, site, line, window_start_ms, window_ms, electricity_ukwh, gas_um3, gas_ukwh, gas_cv_basis,
  baseload_ukwh, units_good, units_scrap, coverage, estimated`;

/**
 * A period query's columns: ROLLUP_COLUMNS without `type`, and without `site` / `line` when the query fixes them
 * (those are then taken from the query, not built as a new string for every row). Read by `periodRowToStored`.
 */
export function periodColumns(bySite: boolean, byLine: boolean): string {
  return [
    'id, revision, window_start_ms, window_ms, electricity_ukwh, gas_um3, gas_ukwh, gas_cv_basis, baseload_ukwh, units_good, units_scrap, coverage, estimated',
    ...(bySite ? [] : ['site']),
    ...(byLine ? [] : ['line']),
  ].join(', ');
}

/** The values a period query fixed by its WHERE clause (equal to the stored ones: TEXT `=` compares bytes). */
export interface PeriodKey {
  type: StoredRollup['type'];
  site?: string;
  line?: string;
}

const int = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A row of a period query in raw (array) mode, columns as `periodColumns(key.site !== undefined, key.line !== undefined)`. */
export function periodRowToStored(a: unknown[], key: PeriodKey): StoredRollup {
  const site = key.site ?? (a[13] as string);
  const line = key.line ?? (a[key.site === undefined ? 14 : 13] as string | null);
  return {
    id: a[0] as string,
    revision: Number(a[1]),
    type: key.type,
    site,
    line,
    windowStartMs: Number(a[2]),
    windowMs: Number(a[3]),
    electricityMicroKWh: int(a[4]),
    gasMicroM3: int(a[5]),
    gasMicroKWh: int(a[6]),
    gasCvBasis: a[7] as StoredRollup['gasCvBasis'],
    baseloadMicroKWh: int(a[8]),
    unitsGood: a[9] as number | null,
    unitsScrap: a[10] as number | null,
    coverage: Number(a[11]),
    estimated: Number(a[12]) === 1,
  };
}

export interface RollupRow {
  id: string;
  revision: number;
  type: string;
  site: string;
  line: string | null;
  window_start_ms: number | string;
  window_ms: number;
  electricity_ukwh: number | string | null;
  gas_um3: number | string | null;
  gas_ukwh: number | string | null;
  gas_cv_basis: string | null;
  baseload_ukwh: number | string | null;
  units_good: number | null;
  units_scrap: number | null;
  coverage: number;
  estimated: number;
}

/** Named parameters for UPSERT_ROLLUP (the current view's columns; no document). */
export function rollupRow(d: DecodedRollup, receivedAtMs: number): Record<string, unknown> {
  const r = d.rollup;
  const energy = r.type === 'line' || r.type === 'site' ? r : undefined;
  return {
    id: r.id,
    revision: r.revision,
    type: r.type,
    site: r.site,
    line: r.type === 'site' ? null : r.line,
    windowStartMs: Date.parse(r.windowStart),
    windowMs: r.windowMs,
    electricityMicroKWh: d.electricityMicroKWh,
    gasMicroM3: d.gasMicroM3,
    gasMicroKWh: d.gasMicroKWh,
    gasCvBasis: energy?.gasCvBasis ?? null,
    baseloadMicroKWh: d.baseloadMicroKWh,
    unitsGood: energy?.unitsGood ?? null,
    unitsScrap: energy?.unitsScrap ?? null,
    coverage: r.coverage,
    estimated: r.estimated ? 1 : 0,
    receivedAtMs,
  };
}

/** A row of one write: UPSERT_ROLLUP's named parameters, the document as received among them. */
export type IngestRow = Record<string, unknown> & { id: string; revision: number; doc: string };

/**
 * The rows one write keeps, each built once: `history` holds one row per (id, revision), the first of equal ones (as
 * inserting them in turn would keep); `current` one per id, the highest revision (the first of equal ones, as applying
 * them in turn would keep) — a subset of `history`, offered to the current view; the rest of `history` (and any
 * `current` row the view refuses) goes to the history table. Both are sorted by id then revision, so concurrent
 * writers lock rows in one order (no deadlock) and both stores count what was applied alike. One stable sort; the
 * history drops a row equal to the one before it, the current view takes each id's last.
 */
export function ingestPlan(
  rollups: readonly DecodedRollup[],
  receivedAtMs: number,
): { history: IngestRow[]; current: IngestRow[] } {
  const sorted = rollups
    .slice()
    .sort((a, b) =>
      a.rollup.id < b.rollup.id ? -1 : a.rollup.id > b.rollup.id ? 1 : a.rollup.revision - b.rollup.revision,
    );
  const history: IngestRow[] = [];
  for (const d of sorted) {
    const before = history[history.length - 1];
    if (before && before.id === d.rollup.id && before.revision === d.rollup.revision) continue;
    history.push(ingestRow(d, receivedAtMs));
  }
  const current = history.filter((row, i) => history[i + 1]?.id !== row.id);
  return { history, current };
}

/** A decoded rollup's row of one write, its document as received (re-serialised) included. */
function ingestRow(d: DecodedRollup, receivedAtMs: number): IngestRow {
  const row = rollupRow(d, receivedAtMs) as IngestRow;
  row.doc = JSON.stringify(d.rollup);
  return row;
}

/** UPSERT_ROLLUP_POSITIONAL's parameters, in order. */
export function rollupParams(d: DecodedRollup, receivedAtMs: number): unknown[] {
  const row = ingestRow(d, receivedAtMs);
  return UPSERT_NAMES.map((n) => row[n]);
}

export function rowToStored(row: RollupRow): StoredRollup {
  return {
    id: row.id,
    revision: Number(row.revision),
    type: row.type as StoredRollup['type'],
    site: row.site,
    line: row.line,
    windowStartMs: Number(row.window_start_ms),
    windowMs: Number(row.window_ms),
    electricityMicroKWh: int(row.electricity_ukwh),
    gasMicroM3: int(row.gas_um3),
    gasMicroKWh: int(row.gas_ukwh),
    gasCvBasis: row.gas_cv_basis as StoredRollup['gasCvBasis'],
    baseloadMicroKWh: int(row.baseload_ukwh),
    unitsGood: row.units_good,
    unitsScrap: row.units_scrap,
    coverage: Number(row.coverage),
    estimated: Number(row.estimated) === 1,
  };
}

/**
 * Ids whose current view disagrees with the history (both dialects; `limit` is the one parameter, as `p(1)`): the
 * history holds a revision above the view's, or the view's own revision with other values (the trigger of migration
 * 270 keeps the old row of any update: a changed view leaves its original there), or an id the view lacks (a deleted
 * view row is kept the same way). Reads the history, the smaller table: an `audit verify` check, not a hot path.
 */
export const currentViewProblemsSql = (p: (i: number) => string): string =>
  `SELECT DISTINCT h.id FROM rollup_revisions h LEFT JOIN rollups c ON c.id = h.id
  WHERE c.id IS NULL OR h.revision > c.revision
    OR (h.revision = c.revision AND (${KEPT_COLUMNS.map((col) => `c.${col} IS DISTINCT FROM h.${col}`).join(' OR ')}))
  ORDER BY 1 LIMIT ${p(1)}`;

/** A kept revision's row (`HISTORY_COLUMNS`) as a stored rollup and its document. */
export function rowToKept(row: RollupRow & { doc: string }): { rollup: StoredRollup; doc: string } {
  return { rollup: rowToStored(row), doc: row.doc };
}

/** The stored columns of a decoded rollup (what ingest keeps), as a StoredRollup. */
export function storedFromDecoded(d: DecodedRollup): StoredRollup {
  const row = rollupRow(d, 0);
  return {
    id: row.id as string,
    revision: row.revision as number,
    type: row.type as StoredRollup['type'],
    site: row.site as string,
    line: row.line as string | null,
    windowStartMs: row.windowStartMs as number,
    windowMs: row.windowMs as number,
    electricityMicroKWh: d.electricityMicroKWh,
    gasMicroM3: d.gasMicroM3,
    gasMicroKWh: d.gasMicroKWh,
    gasCvBasis: row.gasCvBasis as StoredRollup['gasCvBasis'],
    baseloadMicroKWh: d.baseloadMicroKWh,
    unitsGood: row.unitsGood as number | null,
    unitsScrap: row.unitsScrap as number | null,
    coverage: row.coverage as number,
    estimated: row.estimated === 1,
  };
}
