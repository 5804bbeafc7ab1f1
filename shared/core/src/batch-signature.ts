import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

/**
 * A gateway's signature over an exported rollup batch: a JWS in the flattened JSON serialization (RFC 7515 §7.2.2)
 * with `alg` EdDSA (Ed25519, RFC 8037), the gateway key's `kid` and `typ` `pcf-edge.rollup-batch+jws`; the payload
 * is the batch document's exact bytes. Any JWS library verifies it; this module does it with node:crypto, whose
 * base64 and Ed25519 are native (a 1 MiB batch signs and verifies in a few milliseconds).
 */
export const SIGNED_BATCH_TYP = 'pcf-edge.rollup-batch+jws';

/** An Ed25519 key as a JWK (RFC 8037): `x` public, `d` private (absent in a public key), `kid` its id. */
export interface GatewayJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d?: string;
  kid: string;
}

export interface BatchSigner {
  keyId: string;
  /** The JWS (flattened JSON, UTF-8) carrying `batch` — the bytes of a `pcf-edge.rollup-batch/1` document. */
  sign(batch: Buffer): Buffer;
}

/** A new gateway key pair as a private JWK with a random `kid`. */
export function newGatewayKey(): GatewayJwk {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as { x: string; d: string };
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d, kid: randomUUID() };
}

export function publicGatewayKey(k: GatewayJwk): GatewayJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: k.x, kid: k.kid };
}

export function batchSigner(key: GatewayJwk): BatchSigner {
  if (!key.d) throw new Error(`gateway key ${key.kid} has no private part`);
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.x, d: key.d }, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: key.kid, typ: SIGNED_BATCH_TYP })).toString(
    'base64url',
  );
  return {
    keyId: key.kid,
    sign(batch) {
      const payload = batch.toString('base64url');
      const signature = sign(null, Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
      return Buffer.from(`{"protected":"${header}","payload":"${payload}","signature":"${signature}"}`);
    },
  };
}

export type OpenedBatch =
  | { signed: false }
  | { signed: true; keyId: string; payload: Buffer; verify(publicKey: string | KeyObject): boolean }
  | { signed: 'malformed'; reason: string };

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * A gateway's Ed25519 public key (JWK `x`) as a KeyObject, for `verify`; undefined when `x` is no such key. A verifier
 * that keeps it beside the key it read saves building it for every record.
 */
export function ed25519PublicKey(x: string): KeyObject | undefined {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/**
 * Reads a record as a signed batch without trusting it: not a JWS object ⇒ `signed: false` (an unsigned batch or
 * something else); a JWS with a bad header ⇒ 'malformed'; else its key id, its payload and a `verify` against a
 * public key (JWK `x`, or its `ed25519PublicKey`), to be called once the key id is known.
 */
export function openSignedBatch(doc: unknown): OpenedBatch {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { signed: false };
  const j = doc as Record<string, unknown>;
  if (!('signature' in j) && !('protected' in j)) return { signed: false };
  if (typeof j.protected !== 'string' || typeof j.payload !== 'string' || typeof j.signature !== 'string')
    return { signed: 'malformed', reason: 'a signed batch needs protected, payload and signature strings' };
  if (![j.protected, j.payload, j.signature].every((s) => B64URL.test(s)))
    return { signed: 'malformed', reason: 'signed batch parts must be base64url' };
  let header: { alg?: unknown; kid?: unknown; typ?: unknown; crit?: unknown };
  try {
    header = JSON.parse(Buffer.from(j.protected, 'base64url').toString('utf8')) as typeof header;
  } catch {
    return { signed: 'malformed', reason: 'the protected header is not JSON' };
  }
  if (header.alg !== 'EdDSA')
    return { signed: 'malformed', reason: `unsupported signature algorithm ${String(header.alg)}` };
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 128)
    return { signed: 'malformed', reason: 'the protected header names no key id' };
  if (header.typ !== SIGNED_BATCH_TYP || header.crit !== undefined)
    return { signed: 'malformed', reason: `the protected header must have typ ${SIGNED_BATCH_TYP} and no crit` };
  const input = Buffer.from(`${j.protected}.${j.payload}`);
  const signature = Buffer.from(j.signature, 'base64url');
  return {
    signed: true,
    keyId: header.kid,
    payload: Buffer.from(j.payload, 'base64url'),
    verify: (publicKey) => {
      const key = typeof publicKey === 'string' ? ed25519PublicKey(publicKey) : publicKey;
      if (!key) return false;
      try {
        return verify(null, input, key, signature);
      } catch {
        return false;
      }
    },
  };
}
