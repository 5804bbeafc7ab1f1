import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rollupId, silentLogger, type MeterCounterRollup, type Rollup } from '@pcf-edge/core';
import { openStore, type GatewayStore } from '@pcf-edge/store';
import { parseExporterConfig, type StreamExporterConfig } from '../src';

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'exporter-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const T0 = Date.UTC(2026, 10, 1);

/** `n` one-minute counter rollups spread over `meters` meters, window by window; values derive from the index. */
export function makeRollups(
  n: number,
  opts: { start?: number; meters?: number; revision?: number } = {},
): MeterCounterRollup[] {
  const meters = opts.meters ?? 10;
  const start = opts.start ?? 0;
  return Array.from({ length: n }, (_, k) => {
    const i = start + k;
    const meterId = `m${i % meters}`;
    const windowStartMs = T0 + Math.floor(i / meters) * 60_000;
    const key = {
      type: 'meterCounter' as const,
      site: 'plant1',
      line: 'L1',
      meterId,
      point: 'energy',
      windowMs: 60_000,
      windowStartMs,
    };
    return {
      id: rollupId(key),
      revision: opts.revision ?? 1,
      type: 'meterCounter',
      site: 'plant1',
      line: 'L1',
      meterId,
      point: 'energy',
      quantity: 'activeEnergyImport',
      kind: 'counter',
      unit: 'kWh',
      windowStart: new Date(windowStartMs).toISOString(),
      windowMs: 60_000,
      coverage: 1,
      estimated: false,
      flags: [],
      delta: Math.round(i * 1.37 * 1000) / 1000,
      methods: ['measured'],
      readingCount: 6,
    };
  });
}

/** Stores the rollups and enqueues one outbox row each, as the aggregator does. */
export function enqueue(store: GatewayStore, rollups: Rollup[], now = Date.now()): void {
  store.transaction(() => {
    store.putRollups(rollups, now);
    store.enqueueOutbox(
      rollups.map((r) => ({ rollupId: r.id, revision: r.revision, windowStartMs: Date.parse(r.windowStart) })),
      now,
    );
  });
}

export function openTestStore(file: string): GatewayStore {
  return openStore(file, { log: silentLogger() });
}

export function exporterConfig(overrides: Record<string, unknown> = {}): StreamExporterConfig {
  return parseExporterConfig({
    gatewayId: 'gw-1',
    site: 'plant1',
    pollIntervalMs: 50,
    retry: { initialDelayMs: 50, maxDelayMs: 300 },
    ...overrides,
  }) as StreamExporterConfig;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
