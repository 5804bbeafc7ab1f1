import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PcfError } from '@pcf-edge/core';
import { importJWK, type CryptoKey, type JWK } from 'jose';

/**
 * The API's token-signing keys: a JWK Set file of Ed25519 private keys (mode 0600), the one thing besides the
 * database that instances share. Each key carries `kid`, `iat` (created), `nbf` (signs from) and, once superseded,
 * `exp` (verifies until), all epoch seconds. Rotation adds a key that signs only from `nbf` = now + overlap, so
 * every instance has loaded it before any token it signed is presented, and gives the keys it supersedes an `exp`
 * one maximum token lifetime after that, so their tokens keep verifying until they expire.
 */

export interface StoredKey extends JWK {
  kid: string;
  iat: number;
  nbf: number;
  exp?: number;
}

interface KeySetFile {
  keys: StoredKey[];
}

/** Longest token lifetime any configuration allows (config.ts): how long a superseded key keeps verifying. */
export const MAX_TOKEN_TTL_SEC = 3600;

export function newSigningKey(nbfSec: number, nowSec: number): StoredKey {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid: randomUUID(), alg: 'EdDSA', use: 'sig', iat: nowSec, nbf: nbfSec };
}

function readKeySet(file: string): KeySetFile {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PcfError('ERR_CONFIG_READ', `signing keys ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  return checkKeySet(doc, file);
}

function checkKeySet(doc: unknown, file: string): KeySetFile {
  const keys = (doc as { keys?: unknown }).keys;
  const valid = (k: unknown): k is StoredKey => {
    const x = k as Partial<StoredKey>;
    return (
      x?.kty === 'OKP' &&
      x.crv === 'Ed25519' &&
      typeof x.d === 'string' &&
      typeof x.x === 'string' &&
      typeof x.kid === 'string' &&
      Number.isInteger(x.nbf) &&
      Number.isInteger(x.iat)
    );
  };
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every(valid))
    throw new PcfError(
      'ERR_CONFIG_INVALID',
      `signing keys ${file}: expected {"keys": [Ed25519 private JWKs with kid, iat, nbf]}`,
      { file },
    );
  return { keys };
}

function writeKeySet(file: string, set: KeySetFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(set, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Creates the key file with one key that signs at once (`nbf` 0), unless it exists. Returns true when it was created. */
export function ensureSigningKeys(file: string, nowMs = Date.now()): boolean {
  if (existsSync(file)) return false;
  writeKeySet(file, { keys: [newSigningKey(0, Math.floor(nowMs / 1000))] });
  return true;
}

/**
 * Adds a key that signs from now + `overlapSec` (≥ how often instances reload the file) and gives every key
 * without an `exp` one of `nbf` + MAX_TOKEN_TTL_SEC; keys past their `exp` are dropped. Returns the new key id.
 */
export function rotateSigningKeys(file: string, overlapSec: number, nowMs = Date.now()): string {
  const now = Math.floor(nowMs / 1000);
  const set = readKeySet(file);
  const next = newSigningKey(now + overlapSec, now);
  const kept = set.keys
    .filter((k) => k.exp === undefined || k.exp > now)
    .map((k) => (k.exp === undefined ? { ...k, exp: next.nbf + MAX_TOKEN_TTL_SEC } : k));
  writeKeySet(file, { keys: [...kept, next] });
  return next.kid;
}

export interface KeyRing {
  /** The key to sign with now: the newest whose `nbf` has passed. */
  signing(): Promise<{ kid: string; key: CryptoKey }>;
  /** A key that may verify now (known, not past `exp`); reloads the file once when the kid is unknown. */
  verifying(kid: string): Promise<CryptoKey | undefined>;
  /** Public JWKs of every key that may verify now (for /.well-known/jwks.json). */
  publicJwks(): Promise<JWK[]>;
}

/** Checks a JWK Set of signing keys given inline (the AWS API settings secret's `signingKeys`). */
export function parseSigningKeys(doc: unknown, source: string): StoredKey[] {
  return checkKeySet(doc, source).keys;
}

/**
 * Loads the key file and re-reads it when its modification time changed, checked at most every `recheckMs`; or,
 * given `{ keys }`, serves that fixed set (a secret read at start: rotation there means a new instance).
 */
export function openKeyRing(
  source: string | { keys: StoredKey[] },
  now: () => number = Date.now,
  recheckMs = 5_000,
): KeyRing {
  const file = typeof source === 'string' ? source : 'the inline signing keys';
  let loaded: { mtimeMs: number; keys: StoredKey[]; imported: Map<string, Promise<CryptoKey>> } | undefined;
  let checkedAtMs = -Infinity;
  const refresh = (force: boolean) => {
    if (typeof source !== 'string') return (loaded ??= { mtimeMs: 0, keys: source.keys, imported: new Map() });
    const t = now();
    if (!force && loaded && t - checkedAtMs < recheckMs) return loaded;
    checkedAtMs = t;
    const mtimeMs = statSync(source).mtimeMs;
    if (!loaded || loaded.mtimeMs !== mtimeMs) loaded = { mtimeMs, keys: readKeySet(source).keys, imported: new Map() };
    return loaded;
  };
  const publicJwk = (k: StoredKey): JWK => ({ kty: k.kty, crv: k.crv, x: k.x, kid: k.kid, alg: 'EdDSA', use: 'sig' });
  /** The private key (to sign) or the public one (to verify), imported once per file version. */
  const imported = (k: StoredKey, part: 'private' | 'public') => {
    const state = refresh(false);
    const id = `${part}:${k.kid}`;
    let p = state.imported.get(id);
    if (!p)
      state.imported.set(id, (p = importJWK(part === 'private' ? k : publicJwk(k), 'EdDSA') as Promise<CryptoKey>));
    return p;
  };
  const nowSec = () => Math.floor(now() / 1000);
  const live = (k: StoredKey) => k.exp === undefined || k.exp > nowSec();
  let lastForcedMs = -Infinity;
  return {
    async signing() {
      const t = nowSec();
      const usable = refresh(false).keys.filter((k) => k.nbf <= t && live(k));
      const key = usable.sort((a, b) => b.nbf - a.nbf || b.iat - a.iat)[0];
      if (!key) throw new PcfError('ERR_CONFIG_INVALID', `signing keys ${file}: no key may sign now`, { file });
      return { kid: key.kid, key: await imported(key, 'private') };
    },
    async verifying(kid) {
      let key = refresh(false).keys.find((k) => k.kid === kid);
      if (!key && now() - lastForcedMs > 1000) {
        lastForcedMs = now();
        key = refresh(true).keys.find((k) => k.kid === kid);
      }
      return key && live(key) ? imported(key, 'public') : undefined;
    },
    async publicJwks() {
      return refresh(false).keys.filter(live).map(publicJwk);
    },
  };
}
