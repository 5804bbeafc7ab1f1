import type { StoredFootprint } from '../store/repository';
import type { Grant, SecurityStore } from '../store/security-store';

/** The identifiers a footprint is shared by: its product (internal id), product ids and company ids. */
export interface FootprintKeys {
  productId: string;
  productIds: readonly string[];
  companyIds: readonly string[];
}

export function footprintKeys(f: StoredFootprint): FootprintKeys {
  const doc = f.doc as { productIds?: string[]; companyIds?: string[] };
  return { productId: f.productId, productIds: doc.productIds ?? [], companyIds: doc.companyIds ?? [] };
}

/** True when one grant matches the footprint. No grants ⇒ nothing is visible. */
export function granted(grants: readonly Grant[], f: FootprintKeys): boolean {
  return grants.some((g) => {
    switch (g.kind) {
      case 'product':
        return g.value === f.productId;
      case 'productId':
        return f.productIds.includes(g.value);
      case 'companyId':
        return f.companyIds.includes(g.value);
    }
  });
}

/**
 * Grants per client, read from the database and kept `ttlMs` per worker, so a grant an admin adds or removes
 * anywhere applies everywhere within that time (at once on the instance that changed it: `forget`).
 */
export function createGrantCache(security: SecurityStore, now: () => number, ttlMs = 5_000) {
  const cache = new Map<string, { atMs: number; grants: Promise<Grant[]> }>();
  return {
    grantsFor(clientId: string): Promise<Grant[]> {
      const hit = cache.get(clientId);
      if (hit && now() - hit.atMs < ttlMs) return hit.grants;
      const grants = security.listGrants(clientId);
      cache.set(clientId, { atMs: now(), grants });
      grants.catch(() => cache.delete(clientId));
      if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
      return grants;
    },
    forget(clientId?: string): void {
      if (clientId === undefined) cache.clear();
      else cache.delete(clientId);
    },
  };
}
export type GrantCache = ReturnType<typeof createGrantCache>;
