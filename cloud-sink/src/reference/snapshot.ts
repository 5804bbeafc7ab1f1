import type { CloudSinkRepository } from '../store/repository';
import { REFERENCE_KINDS, type RefEntity, type ReferenceKind, type ReferenceSnapshot } from './types';

const cache = new WeakMap<object, ReferenceSnapshot>();

/**
 * Loads every kind as of `asOfVersion` (default: the latest version). With `cached`, the last snapshot loaded from
 * this store (`repo.storeKey`, shared by views of the same repository) is reused when it is of the same version
 * (versions are immutable once imported; a new import is a new version, so it is never served stale). Audit
 * verification never uses the cache, so data altered in place is seen.
 */
export async function loadSnapshot(
  repo: CloudSinkRepository,
  asOfVersion?: number,
  cached = false,
): Promise<ReferenceSnapshot> {
  const version = asOfVersion ?? (await repo.latestReferenceVersion());
  const key = repo.storeKey ?? repo;
  const hit = cached ? cache.get(key) : undefined;
  if (hit && hit.asOfVersion === version) return hit;
  const fresh = await readSnapshot(repo, version);
  if (cached) cache.set(key, fresh);
  return fresh;
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
