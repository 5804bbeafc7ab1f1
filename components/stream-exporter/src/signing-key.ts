import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { newGatewayKey, PcfError, publicGatewayKey, type GatewayJwk, type Logger } from '@pcf-edge/core';

/** Where the gateway key lives without `signing.keyFile`: beside the gateway store. */
export function defaultKeyFile(storePath: string): string {
  return join(dirname(storePath), 'gateway-signing-key.json');
}

/** A private Ed25519 JWK with `kid` (as `newGatewayKey` makes and the secret manager delivers), checked. */
export function parseGatewayKey(text: string, source: string): GatewayJwk {
  let k: Partial<GatewayJwk>;
  try {
    k = JSON.parse(text) as Partial<GatewayJwk>;
  } catch (err) {
    throw new PcfError('ERR_CONFIG_READ', `gateway signing key ${source}: not JSON (${(err as Error).message})`, {
      source,
    });
  }
  const b64 = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v);
  if (k.kty !== 'OKP' || k.crv !== 'Ed25519' || !b64(k.x) || !b64(k.d) || typeof k.kid !== 'string' || !k.kid)
    throw new PcfError(
      'ERR_CONFIG_INVALID',
      `gateway signing key ${source}: expected a private Ed25519 JWK {kty: OKP, crv: Ed25519, x, d, kid}`,
      { source },
    );
  return { kty: 'OKP', crv: 'Ed25519', x: k.x!, d: k.d!, kid: k.kid };
}

/** Writes a new private key to `file` (mode 0600, never over an existing file); returns it. */
export function writeNewGatewayKey(file: string): GatewayJwk {
  if (existsSync(file)) throw new PcfError('ERR_USAGE', `${file} exists: a key file is never overwritten`);
  const key = newGatewayKey();
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(key)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return key;
}

/**
 * The gateway's signing key from `file`, created there on first start. Its public half (kid and x, not secret) is
 * logged so it can be registered in the cloud (`cloud-sink gateways register`).
 */
export function loadOrCreateGatewayKey(file: string, log: Logger): GatewayJwk {
  const created = !existsSync(file);
  const key = created ? writeNewGatewayKey(file) : parseGatewayKey(readFileSync(file, 'utf8'), file);
  log.info({ keyFile: file, publicKey: publicGatewayKey(key), created }, 'gateway signing key');
  return key;
}
