import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rollupId, type MeterCounterRollup, type Reading } from '@pcf-edge/core';

/** A fresh temp directory; call the returned cleanup in afterAll/afterEach. */
export function tempDir(prefix = 'pcf-store-'): { dir: string; file: (name?: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  return {
    dir,
    file: (name?: string) => join(dir, name ?? `store-${++n}.db`),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function reading(i: number, over: Partial<Reading> = {}): Reading {
  return {
    site: 'plant-1',
    line: 'line-a',
    meterId: `m${i % 7}`,
    point: 'energy',
    quantity: 'activeEnergyImport',
    kind: 'counter',
    value: 1000 + i * 0.25,
    unit: 'kWh',
    sourceTs: null,
    readTs: 1_700_000_000_000 + i * 1000,
    quality: 'good',
    ...over,
  };
}

export function counterRollup(
  windowStartMs: number,
  revision = 0,
  over: Partial<MeterCounterRollup> = {},
): MeterCounterRollup {
  const key = {
    type: 'meterCounter' as const,
    site: 'plant-1',
    line: 'line-a',
    meterId: 'm1',
    point: 'energy',
    windowMs: 60_000,
    windowStartMs,
  };
  return {
    id: rollupId(key),
    revision,
    type: 'meterCounter',
    site: 'plant-1',
    windowStart: new Date(windowStartMs).toISOString(),
    windowMs: 60_000,
    coverage: 1,
    estimated: false,
    flags: [],
    line: 'line-a',
    meterId: 'm1',
    point: 'energy',
    quantity: 'activeEnergyImport',
    kind: 'counter',
    unit: 'kWh',
    delta: 1.25 + revision,
    methods: ['measured'],
    readingCount: 6,
    ...over,
  };
}
