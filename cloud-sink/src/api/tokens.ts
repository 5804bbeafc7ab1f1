import { randomBytes } from 'node:crypto';
import type { Scope } from './config';

export interface Grant {
  clientId: string;
  scopes: Scope[];
  expiresAtMs: number;
}
export type TokenCheck = { ok: true; grant: Grant } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Opaque bearer tokens (32 random bytes, base64url) held in memory with their expiry: a restart signs everyone
 * out, which is acceptable for the client-credentials flow (clients fetch a new token on 401). Expired tokens
 * are answered as expired until pruned (at most once per ttl, on issue).
 */
export function createTokenStore(ttlSec: number, now: () => number) {
  const grants = new Map<string, Grant>();
  let lastPruneMs = now();
  const prune = () => {
    const t = now();
    if (t - lastPruneMs < ttlSec * 1000) return;
    lastPruneMs = t;
    for (const [k, g] of grants) if (g.expiresAtMs + ttlSec * 1000 < t) grants.delete(k);
  };
  return {
    issue(clientId: string, scopes: Scope[]): { token: string; expiresInSec: number } {
      prune();
      const token = randomBytes(32).toString('base64url');
      grants.set(token, { clientId, scopes, expiresAtMs: now() + ttlSec * 1000 });
      return { token, expiresInSec: ttlSec };
    },
    check(token: string): TokenCheck {
      const g = grants.get(token);
      if (!g) return { ok: false, reason: 'invalid' };
      return g.expiresAtMs <= now() ? { ok: false, reason: 'expired' } : { ok: true, grant: g };
    },
  };
}
export type TokenStore = ReturnType<typeof createTokenStore>;
