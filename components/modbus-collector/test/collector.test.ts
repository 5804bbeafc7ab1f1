import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { restartKeys, watchConfigFile } from '@pcf-edge/core';
import { openStore, type GatewayStore } from '@pcf-edge/store';
import { createModbusCollector } from '../src/collector';
import { configSchema, loadCollectorConfig } from '../src/config';
import { config, device, log, meter, point, startTestDevice, type TestDevice } from './support';

describe('collector with the gateway store', () => {
  let dev: TestDevice;
  let dir: string;
  let store: GatewayStore;
  beforeEach(async () => {
    dev = await startTestDevice();
    dir = mkdtempSync(join(tmpdir(), 'mbcol-'));
    store = openStore(join(dir, 'gw.sqlite'));
  });
  afterEach(async () => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
    await dev.close();
  });

  it('polls at a fixed rate, writes readings in batches and keeps a health row per meter', async () => {
    const pts = [point('e', 'activeEnergyImport', 'holding', 0, 'uint32', { scale: 0.1 })];
    dev.setPoint(1, pts[0]!, 42.5);
    const cfg = config(
      [device('d1', dev.port)],
      [
        meter('m1', 'd1', pts, { pollIntervalMs: 100 }),
        meter('m2', 'd1', pts, { unitId: 2, pollIntervalMs: 100, line: 'L2' }),
      ],
    );
    const c = createModbusCollector(cfg, { store, log });
    const t0 = Date.now();
    c.start();
    await sleep(1050);
    await c.stop();
    const elapsed = Date.now() - t0;
    const rows = store.readingsAfter(0, 1000);
    const m1 = rows.filter((r) => r.meterId === 'm1');
    const m2 = rows.filter((r) => r.meterId === 'm2');
    // Fixed rate: about one poll per 100 ms each (generous bounds for a loaded machine).
    expect(m1.length).toBeGreaterThanOrEqual(Math.floor((0.6 * elapsed) / 100));
    expect(m1.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
    // Good, or uncertain when a loaded machine delayed a reply past the next poll (stale); never another value.
    expect(
      m1.every(
        (r) => r.value === 42.5 && r.unit === 'kWh' && (r.quality === 'good' || /^stale/.test(r.qualityReason ?? '')),
      ),
    ).toBe(true);
    expect(m1.filter((r) => r.quality === 'good').length).toBeGreaterThan(m1.length / 2);
    expect(m2.every((r) => r.value === 0 && r.line === 'L2')).toBe(true);
    const health = store.listMeterHealth();
    expect(health.map((h) => h.meterId).sort()).toEqual(['m1', 'm2']);
    expect(health[0]).toMatchObject({ collector: 'modbus-collector', state: 'ok', consecutiveFailures: 0 });
    expect(health[0]?.lastGoodTs).not.toBeNull();
  });

  it('stores bad readings with value null and a failing health row', async () => {
    const pts = [point('p', 'activePower', 'holding', 0, 'uint16')];
    dev.illegal.add('holding:1:0');
    const c = createModbusCollector(config([device('d1', dev.port)], [meter('m1', 'd1', pts)]), { store, log });
    c.start();
    await c.pollOnce();
    await c.stop();
    const [r] = store.readingsAfter(0, 10);
    expect(r).toMatchObject({ value: null, quality: 'bad', qualityReason: 'exception 2' });
    expect(store.listMeterHealth()[0]).toMatchObject({ state: 'failing', lastError: 'exception 2', lastGoodTs: null });
  });

  it('counts overruns when a poll takes longer than its interval, and marks late replies stale', async () => {
    const pts = [point('p', 'activePower', 'holding', 0, 'uint16')];
    dev.behaviour.delayMs = 250;
    const seen: string[] = [];
    const c = createModbusCollector(
      config([device('d1', dev.port, { timeoutMs: 1000 })], [meter('m1', 'd1', pts, { pollIntervalMs: 100 })]),
      {
        log,
        onReading: (r) => seen.push(`${r.quality}:${r.qualityReason ?? ''}`),
      },
    );
    c.start();
    await sleep(1000);
    await c.stop();
    expect(c.stats().overruns).toBeGreaterThanOrEqual(4);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((s) => s.startsWith('uncertain:stale'))).toBe(true);
  });
});

describe('config file watching', () => {
  it('applies a valid change and rejects an invalid one, keeping the running config', async () => {
    const dev = await startTestDevice();
    const dir = mkdtempSync(join(tmpdir(), 'mbwatch-'));
    const file = join(dir, 'c.json');
    const lines: Record<string, unknown>[] = [];
    const wlog = pino(
      { level: 'info' },
      { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    const pts = [point('p', 'activePower', 'holding', 0, 'uint16')];
    const first = config([device('d1', dev.port)], [meter('m1', 'd1', pts)]);
    writeFileSync(file, JSON.stringify(first));
    const c = createModbusCollector(first, { log });
    const watcher = watchConfigFile({
      file,
      load: (f) => loadCollectorConfig(f, wlog),
      current: () => c.config(),
      apply: (next) => c.reload(next),
      restartKeys: restartKeys(configSchema),
      log: wlog,
      intervalMs: 50,
    });
    try {
      await sleep(120);
      writeFileSync(
        file,
        JSON.stringify({ ...first, meters: [...first.meters, meter('m2', 'd1', pts, { unitId: 2 })] }),
      );
      for (let i = 0; i < 40 && c.pollers().length < 2; i++) await sleep(50);
      expect(c.pollers().map((p) => p.meter.id)).toEqual(['m1', 'm2']);
      await sleep(60);
      writeFileSync(file, JSON.stringify({ ...first, meters: [meter('m3', 'nope', pts)] }));
      for (
        let i = 0;
        i < 40 && !lines.some((l) => l.msg === 'configuration file change rejected; keeping the running configuration');
        i++
      )
        await sleep(50);
      const rejected = lines.find(
        (l) => l.msg === 'configuration file change rejected; keeping the running configuration',
      );
      expect(rejected?.errors).toEqual(["/meters/0/device: unknown device 'nope'"]);
      expect(c.pollers().map((p) => p.meter.id)).toEqual(['m1', 'm2']);
      expect((await c.pollOnce()).length).toBe(2);
    } finally {
      watcher.stop();
      await c.stop();
      await dev.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
