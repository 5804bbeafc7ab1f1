import { ed25519PublicKey, openSignedBatch, validateRollupBatch, type RollupBatch } from '@pcf-edge/core';
import type { KeyObject } from 'node:crypto';
import type { GatewayKey, SecurityStore } from '../store/security-store';

export type VerifiedBatch = { ok: true; batch: RollupBatch; keyId: string } | { ok: false; reason: string };

/** How long a gateway key read from the database is trusted before it is read again (a retirement applies within it). */
const KEY_TTL_MS = 30_000;

/**
 * Authenticated ingest: a record is accepted only as a batch signed by a registered, active gateway key (JWS, see
 * @pcf-edge/core batch-signature), whose `gatewayId` is the key's gateway and whose batch and rollup sites are all
 * sites that gateway may report. Anything else is refused with the reason its dead letter carries: unsigned, unknown
 * or retired key, bad signature, another gateway's id, a site the gateway may not report, or an invalid batch.
 */
export function createBatchVerifier(security: SecurityStore, now: () => number = Date.now) {
  // each key beside its KeyObject, built once per read of the key rather than once per record
  const keys = new Map<string, { atMs: number; key: GatewayKey | undefined; publicKey: KeyObject | undefined }>();
  const keyFor = async (keyId: string) => {
    const hit = keys.get(keyId);
    if (hit && now() - hit.atMs < KEY_TTL_MS) return hit;
    const key = await security.getGatewayKey(keyId);
    const entry = { atMs: now(), key, publicKey: key && ed25519PublicKey(key.publicKey) };
    keys.set(keyId, entry);
    if (keys.size > 10_000) keys.delete(keys.keys().next().value!);
    return entry;
  };
  return async (text: string): Promise<VerifiedBatch> => {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
    }
    const opened = openSignedBatch(doc);
    if (opened.signed === false)
      return { ok: false, reason: 'unsigned batch: every batch must be signed by its gateway key' };
    if (opened.signed === 'malformed') return { ok: false, reason: `malformed signed batch: ${opened.reason}` };
    const { key, publicKey } = await keyFor(opened.keyId);
    if (!key) return { ok: false, reason: `signed by an unknown key '${opened.keyId}'` };
    if (key.status !== 'active')
      return { ok: false, reason: `signed by retired key '${key.keyId}' of gateway ${key.gatewayId}` };
    if (!publicKey || !opened.verify(publicKey))
      return { ok: false, reason: `signature does not verify with key '${key.keyId}'` };
    let batch: RollupBatch;
    try {
      batch = validateRollupBatch(JSON.parse(opened.payload.toString('utf8')));
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    if (batch.gatewayId !== key.gatewayId)
      return {
        ok: false,
        reason: `batch names gateway ${batch.gatewayId} but is signed by gateway ${key.gatewayId}'s key`,
      };
    const sites = new Set([batch.site, ...batch.rollups.map((r) => r.site)]);
    const foreign = [...sites].filter((s) => !key.sites.includes(s));
    if (foreign.length > 0)
      return { ok: false, reason: `gateway ${key.gatewayId} may not report site ${foreign.sort().join(', ')}` };
    return { ok: true, batch, keyId: key.keyId };
  };
}
export type BatchVerifier = ReturnType<typeof createBatchVerifier>;
