import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateKey } from 'node:crypto';
import { batchSigner, isPcfError, makeRollupBatch, rollupId, type GatewayJwk, type LineRollup } from '@pcf-edge/core';
import { InvariantError } from '../engine';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `fuzz-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A second, read-only connection to a SQLite file: `PRAGMA data_version` changes when another connection commits. */
export function dataVersionWatch(file: string): { version(): number; close(): void; db: Database.Database } {
  const db = new Database(file, { readonly: true });
  const stmt = db.prepare('PRAGMA data_version');
  return { db, version: () => (stmt.get() as { data_version: number }).data_version, close: () => db.close() };
}

/** Throws InvariantError unless `err` is a PcfError (with a code) whose code is one of `codes`. */
export function expectPcfError(err: unknown, codes: readonly string[], what: string): void {
  if (!isPcfError(err))
    throw new InvariantError(
      `${what}: not a PcfError: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      { cause: err },
    );
  if (!codes.includes(err.code))
    throw new InvariantError(`${what}: unexpected code ${err.code}: ${err.message}`, { cause: err });
  if (!err.message) throw new InvariantError(`${what}: ${err.code} without a message`);
}

/** A 15-minute line rollup on site-1, window `index` quarters after 2026-01-01. */
export function lineRollup(line: string, index: number, kWh = 10): LineRollup {
  const windowMs = 900_000;
  const windowStartMs = Date.UTC(2026, 0, 1) + index * windowMs;
  return {
    id: rollupId({ type: 'line', site: 'site-1', line, windowMs, windowStartMs }),
    revision: 1,
    type: 'line',
    site: 'site-1',
    line,
    windowStart: new Date(windowStartMs).toISOString(),
    windowMs,
    coverage: 1,
    estimated: false,
    flags: [],
    electricityKWh: kWh,
    gasM3: 0,
    gasKWh: 0,
    gasCvBasis: null,
    unitsGood: 0,
    unitsScrap: 0,
    kWhPerUnit: null,
    meters: ['m1'],
  };
}

export function batchJson(line: string, from: number, count: number): Buffer {
  const rollups = Array.from({ length: count }, (_, i) => lineRollup(line, from + i, 10 + i));
  return Buffer.from(JSON.stringify(makeRollupBatch('gw-1', 'site-1', rollups, new Date('2026-01-02T00:00:00Z'))));
}

/** A fixed Ed25519 gateway key (seed 32 × 0x42) for gateway gw-1 on site-1, so corpus files stay verifiable. */
export const FUZZ_GATEWAY_KEY: GatewayJwk = (() => {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 0x42)]);
  const jwk = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as {
    x: string;
    d: string;
  };
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d, kid: 'fuzz-gw-1' };
})();

/** `batchJson` signed with FUZZ_GATEWAY_KEY (the form gateways export). */
export function signedBatchJson(line: string, from: number, count: number): Buffer {
  return batchSigner(FUZZ_GATEWAY_KEY).sign(batchJson(line, from, count));
}
