import type { CloudSinkRepository } from '../store/repository';
import { REFERENCE_KINDS, type RefEntity, type ReferenceKind, type ReferenceSnapshot } from './types';

/**
 * Reads every kind as of `asOfVersion` (default: the latest version) from the store. Nothing is kept here: a
 * `PcfService` keeps the snapshots its calculations use (service/pcf-service.ts), and audit verification always reads
 * afresh, so data altered in place is seen.
 */
export async function loadSnapshot(repo: CloudSinkRepository, asOfVersion?: number): Promise<ReferenceSnapshot> {
  return readSnapshot(repo, asOfVersion ?? (await repo.latestReferenceVersion()));
}

async function readSnapshot(repo: CloudSinkRepository, version: number): Promise<ReferenceSnapshot> {
  const snapshot = { asOfVersion: version } as Record<string, unknown>;
  for (const kind of REFERENCE_KINDS) {
    const rows = await repo.getReference(kind, version);
    snapshot[kind] = new Map(rows.map((r) => [r.entityId, r]));
  }
  return snapshot as ReferenceSnapshot;
}

export function emptySnapshot(): ReferenceSnapshot {
  const snapshot = { asOfVersion: 0 } as Record<string, unknown>;
  for (const kind of REFERENCE_KINDS) snapshot[kind] = new Map();
  return snapshot as ReferenceSnapshot;
}

/** A copy of `snapshot` with `entities` of `kind` replacing same-id entities. */
export function withEntities(
  snapshot: ReferenceSnapshot,
  kind: ReferenceKind,
  entities: RefEntity[],
): ReferenceSnapshot {
  const copy = { ...snapshot } as Record<string, unknown>;
  const map = new Map(snapshot[kind] as Map<string, RefEntity>);
  for (const e of entities) map.set(e.entityId, e);
  copy[kind] = map;
  return copy as ReferenceSnapshot;
}
