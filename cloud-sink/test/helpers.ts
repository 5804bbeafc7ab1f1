import { batchSigner, newGatewayKey, rollupId, type LineRollup } from '@pcf-edge/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CalcOptions } from '@pcf-edge/pcf-engine';
import { decodeRollups } from '../src/ingest/quantities';
import { importDirectory } from '../src/service/demo';
import { demoRollups } from '../src/service/demo-rollups';
import { openSqliteRepository } from '../src/store/sqlite';
import type { CloudSinkRepository } from '../src/store/repository';
import { openSecurityStore } from '../src/store/security-store';

export interface TempDb {
  dir: string;
  file: string;
  repo: CloudSinkRepository;
  write(name: string, text: string): string;
  cleanup(): Promise<void>;
}

/** A real SQLite file in a fresh temp folder. */
export function tempDb(): TempDb {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-sink-'));
  const file = join(dir, 'db.sqlite');
  const repo = openSqliteRepository({ file });
  return {
    dir,
    file,
    repo,
    write: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    cleanup: async () => {
      await repo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The demo factory's morning, 06:00–10:00 UTC on 2 November 2026: the period the demo's tests calculate. */
export const DEMO_MORNING: Readonly<CalcOptions> = Object.freeze({
  periodStart: '2026-11-02T06:00:00Z',
  periodEnd: '2026-11-02T10:00:00Z',
  method: 'location',
  gwpSet: 'AR5',
  shareKey: 'units',
  overheadKey: 'mass',
});

/** The demo factory in `repo`: its reference data (the demo folder) and its morning's rollups. */
export async function loadDemo(repo: CloudSinkRepository): Promise<void> {
  await importDirectory(repo);
  await repo.ingest({ rollups: decodeRollups(demoRollups()), deadLetters: [] });
}

/** A 15-minute line rollup on plant-1. */
export function lineRollup(
  line: string,
  windowStart: string,
  revision: number,
  electricityKWh: number,
  extra: Partial<LineRollup> = {},
): LineRollup {
  const windowMs = 900_000;
  return {
    id: rollupId({ type: 'line', site: 'plant-1', line, windowMs, windowStartMs: Date.parse(windowStart) }),
    revision,
    type: 'line',
    site: 'plant-1',
    line,
    windowStart,
    windowMs,
    coverage: 1,
    estimated: false,
    flags: [],
    electricityKWh,
    gasM3: 0,
    gasKWh: 0,
    gasCvBasis: null,
    unitsGood: 0,
    unitsScrap: 0,
    kWhPerUnit: null,
    meters: ['m1'],
    ...extra,
  };
}

/** The test gateway gw-1's signing key (registered for plant-1 by `registerTestGateway`). */
export const TEST_GATEWAY_KEY = newGatewayKey();
const testSigner = batchSigner(TEST_GATEWAY_KEY);

/** A batch as gw-1 exports it: signed with its key. */
export function signedBatch(batch: unknown): Buffer {
  return testSigner.sign(Buffer.from(JSON.stringify(batch)));
}

export async function registerTestGateway(repo: CloudSinkRepository, sites = ['plant-1'], gatewayId = 'gw-1') {
  await openSecurityStore(repo).addGatewayKey({
    keyId: TEST_GATEWAY_KEY.kid,
    gatewayId,
    publicKey: TEST_GATEWAY_KEY.x,
    sites,
  });
}
