import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger, type Reading } from '@pcf-edge/core';
import { openStore } from '@pcf-edge/store';
import { createLineAggregator, validateAggregatorConfig } from '../src';

export const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
export const STEP_MS = 10_000;
export const GAS_CV = 39.5;
export const VCF = 1.02264;

/** A site: line-1 (energy m1, sub-meter m2, gas g1, production p1), line-2 (energy m3), baseload b1. */
export const DEMO_CONFIG = {
  site: 'plant-1',
  gatewayId: 'gw-test',
  windows: ['1m', '15m'],
  closeLagMs: 15_000,
  maxGapMs: 120_000,
  batchSize: 500,
  gas: { volumeCorrectionFactor: VCF, calorificValues: [{ validFrom: '2026-01-01T00:00:00Z', mJPerM3: GAS_CV }] },
  meters: [
    {
      id: 'm1',
      line: 'line-1',
      role: 'lineTotal',
      points: { energy: { maxRatePerHour: 200 }, power: { spikeThreshold: 50 } },
    },
    { id: 'm2', line: 'line-1', role: 'subMeter' },
    { id: 'g1', line: 'line-1', role: 'lineTotal', points: { volume: { modulus: 656, maxRatePerHour: 400 } } },
    { id: 'p1', line: 'line-1', role: 'lineTotal' },
    { id: 'm3', line: 'line-2', role: 'lineTotal' },
    { id: 'b1', line: 'utilities', role: 'baseload' },
  ],
};

/** Per step (10 s) increments; all multiples of 1/8 so sums are exact. */
export const PER_STEP = { m1: 0.25, m2: 0.125, g1: 0.5, m3: 0.5, b1: 0.125 };

function base(
  meterId: string,
  line: string,
  ts: number,
): Pick<Reading, 'site' | 'line' | 'meterId' | 'sourceTs' | 'readTs' | 'quality'> {
  return { site: 'plant-1', line, meterId, sourceTs: ts, readTs: ts + 50, quality: 'good' };
}

/** The readings of step k (time T0 + k × 10 s), in the order a collector would write them. */
export function demoStep(k: number): Reading[] {
  const ts = T0 + k * STEP_MS;
  const e = (meterId: string, line: string, value: number): Reading => ({
    ...base(meterId, line, ts),
    point: 'energy',
    quantity: 'activeEnergyImport',
    kind: 'counter',
    value,
    unit: 'kWh',
  });
  return [
    e('m1', 'line-1', 1000 + PER_STEP.m1 * k),
    {
      ...base('m1', 'line-1', ts),
      point: 'power',
      quantity: 'activePower',
      kind: 'gauge',
      value: 90 + (k % 3),
      unit: 'kW',
    },
    e('m2', 'line-1', 200 + PER_STEP.m2 * k),
    {
      ...base('g1', 'line-1', ts),
      point: 'volume',
      quantity: 'gasVolume',
      kind: 'counter',
      value: (640 + PER_STEP.g1 * k) % 656,
      unit: 'm3',
    },
    {
      ...base('p1', 'line-1', ts),
      point: 'good',
      quantity: 'unitsProduced',
      kind: 'counter',
      value: 5000 + k,
      unit: 'count',
    },
    {
      ...base('p1', 'line-1', ts),
      point: 'scrap',
      quantity: 'unitsScrapped',
      kind: 'counter',
      value: 70 + Math.floor(k / 6),
      unit: 'count',
    },
    e('m3', 'line-2', 50 + PER_STEP.m3 * k),
    e('b1', 'utilities', 10 + PER_STEP.b1 * k),
  ];
}

export function demoReadings(steps: number): Reading[] {
  const out: Reading[] = [];
  for (let k = 0; k < steps; k++) out.push(...demoStep(k));
  return out;
}

export function tempDir(prefix = 'pcf-agg-'): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeConfig(path: string, config: object = DEMO_CONFIG): string {
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * A store holding 200 demo steps (08:00:00–08:33:10) aggregated with DEMO_CONFIG, where m3 (line-2) is silent
 * from 08:10 to 08:14 (a gap), plus meter health rows for m1 (ok) and g1 (failing).
 */
export function buildDemoStore(path: string, now: number): void {
  const store = openStore(path);
  const silent = (r: Reading): boolean =>
    r.meterId === 'm3' && r.sourceTs! > T0 + 10 * 60_000 && r.sourceTs! < T0 + 14 * 60_000;
  store.insertReadings(demoReadings(200).filter((r) => !silent(r)));
  createLineAggregator(validateAggregatorConfig(DEMO_CONFIG), {
    store,
    clock: new ManualClock(now - 60_000),
    log: silentLogger(),
  }).drain();
  const health = { site: 'plant-1', line: 'line-1', collector: 'modbus', lastReadTs: now, updatedTs: now };
  store.upsertMeterHealth([
    { ...health, meterId: 'm1', state: 'ok', lastGoodTs: now - 3000, consecutiveFailures: 0, lastError: null },
    {
      ...health,
      meterId: 'g1',
      state: 'failing',
      lastGoodTs: now - 300_000,
      consecutiveFailures: 12,
      lastError: 'ERR_MODBUS_TIMEOUT: no answer from 10.0.0.7:502 unit 3 within 1000 ms',
    },
  ]);
  store.close();
}
