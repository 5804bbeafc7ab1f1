import { PcfError } from '@pcf-edge/core';
import type { StoredFootprint } from './repository';

/** Column order of the footprints table, shared by the SQLite and PostgreSQL stores. */
export const FOOTPRINT_COLUMNS = [
  'id',
  'version',
  'status',
  'product_id',
  'period_start',
  'period_end',
  'method',
  'gwp_set',
  'result_id',
  'created_at_ms',
  'updated_at_ms',
  'doc',
] as const;

export function footprintParams(f: StoredFootprint): (string | number)[] {
  return [
    f.id,
    f.version,
    f.status,
    f.productId,
    f.periodStart,
    f.periodEnd,
    f.method,
    f.gwpSet,
    f.resultId,
    f.createdAtMs,
    f.updatedAtMs,
    JSON.stringify(f.doc),
  ];
}

export function rowToFootprint(row: Record<string, unknown>): StoredFootprint {
  return {
    id: row.id as string,
    version: Number(row.version),
    status: row.status as StoredFootprint['status'],
    productId: row.product_id as string,
    periodStart: row.period_start as string,
    periodEnd: row.period_end as string,
    method: row.method as string,
    gwpSet: row.gwp_set as string,
    resultId: row.result_id as string,
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
    doc: JSON.parse(row.doc as string),
  };
}

/** The lifecycle rule both stores enforce inside their transaction: nothing follows a Deprecated version. */
export function checkFootprintSuccessor(
  latest: { status: string; version: number } | undefined,
  next: StoredFootprint,
): void {
  if (latest?.status === 'Deprecated') {
    throw new PcfError(
      'ERR_STORE',
      `footprint ${next.id} is Deprecated and never changes (version ${next.version} refused)`,
      { id: next.id },
    );
  }
  if (latest && next.version <= latest.version) {
    throw new PcfError(
      'ERR_STORE',
      `footprint ${next.id} version ${next.version} is not above the stored version ${latest.version}`,
      { id: next.id },
    );
  }
}

export const LATEST_FOOTPRINTS_SQL = `SELECT f.* FROM footprints f JOIN (SELECT id, MAX(version) AS v FROM footprints GROUP BY id) m
  ON f.id = m.id AND f.version = m.v ORDER BY f.created_at_ms, f.id`;
