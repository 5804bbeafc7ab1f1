import { REFERENCE_KINDS, type RefEntity, type ReferenceKind } from '../reference/types';
import type { CloudSinkRepository } from '../store/repository';

/**
 * A repository view that memoizes `getReference(kind, asOf)` for versions that exist: reference versions are
 * insert-only, so the entities of a kind as of an existing version never change. Saves the query per kind and JSON
 * parsing of a snapshot on every ad-hoc calculation. Callers must not mutate the returned entities (the engine
 * does not). At most `maxEntries` (kind, version) pairs are kept (default: every kind at ten versions), oldest dropped first.
 */
export function withReferenceCache(
  repo: CloudSinkRepository,
  maxEntries = REFERENCE_KINDS.length * 10,
): CloudSinkRepository {
  const cache = new Map<string, Promise<RefEntity[]>>();
  const getReference = async (kind: ReferenceKind, asOf: number): Promise<RefEntity[]> => {
    const key = `${kind}@${asOf}`;
    const hit = cache.get(key);
    if (hit) return [...(await hit)];
    if (asOf > (await repo.latestReferenceVersion())) return repo.getReference(kind, asOf);
    const loading = repo.getReference(kind, asOf);
    cache.set(key, loading);
    loading.catch(() => cache.delete(key));
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    return [...(await loading)];
  };
  return { ...repo, getReference };
}
