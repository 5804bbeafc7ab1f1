import type { LineRollup, Reading } from '@pcf-edge/core';
import { openStore } from '@pcf-edge/store';
import type { HealthMessage } from '../src/greengrass-health';
import { useComponentUnderNucleus } from '../../../test-support/greengrass-ipc-server/component-harness';
import { until } from '../../../test-support/standalone/processes';

/**
 * The aggregator as a real process (tsx main.ts) under the Greengrass IPC test server: configuration from the
 * nucleus, RUNNING, per-line rollups published to the configured local topic, a live change, a rejected update.
 */
jest.setTimeout(180_000);
const COMPONENT = 'com.pcfedge.LineAggregator';
const TOPIC = 'pcf-edge/rollups/lines';
const T0 = Date.parse('2026-11-02T06:00:00Z');

const gg = useComponentUnderNucleus({
  component: COMPONENT,
  token: 'aggregator-token',
  main: 'components/line-aggregator/src/main.ts',
  tmpPrefix: 'aggregator-gg-',
});

/** A store with one lineTotal energy counter read every 10 s for 5 minutes (+0.1 kWh per reading). */
function storeWithReadings(file: string): void {
  const s = openStore(file);
  s.insertReadings(
    Array.from({ length: 31 }, (_, i): Reading => ({
      site: 'plant-1',
      line: 'line-1',
      meterId: 'm1',
      point: 'energy',
      quantity: 'activeEnergyImport',
      kind: 'counter',
      value: 1000 + i * 0.1,
      unit: 'kWh',
      sourceTs: null,
      readTs: T0 + i * 10_000,
      quality: 'good',
    })),
  );
  s.close();
}

it('publishes per-line rollups to its topic, applies a live change and rejects a bad update while running', async () => {
  const { server } = gg;
  const store = gg.storePath();
  storeWithReadings(store);
  server.setConfiguration(COMPONENT, {
    storePath: store,
    site: 'plant-1',
    gatewayId: 'gw-1',
    windows: ['1m'],
    closeLagMs: 0,
    pollIntervalMs: 100,
    meters: [{ id: 'm1', line: 'line-1', role: 'lineTotal' }],
    lineRollupTopic: TOPIC,
    accessControl: {
      'aws.greengrass.ipc.pubsub': {
        'x:pubsub:1': { operations: ['aws.greengrass#PublishToTopic'], resources: [TOPIC] },
      },
    },
  });
  const p = gg.start(store);
  await until('RUNNING', () => server.states.length > 0, 90_000, p.stderr);
  expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);

  const published = await until(
    'line rollups published',
    () => {
      const lines = server.published.filter((m) => m.topic === TOPIC);
      return lines.length >= 4 && lines;
    },
    60_000,
    p.stderr,
  );
  for (const m of published) {
    expect(m.component).toBe(COMPONENT);
    expect(m.message).toEqual(
      expect.objectContaining({ type: 'line', line: 'line-1', site: 'plant-1', windowMs: 60_000 }),
    );
  }
  const kWh = published.map((m) => (m.message as LineRollup).electricityKWh).reduce((a, b) => a + b, 0);
  expect(kWh).toBeGreaterThan(0);
  expect(kWh).toBeLessThanOrEqual(3.0 + 1e-9); // 30 steps of 0.1 kWh at most

  server.updateConfiguration(COMPONENT, ['closeLagMs'], 5000);
  await until('the live change', () => p.stderr().includes('line aggregator reconfigured'), 30_000, p.stderr);

  server.updateConfiguration(COMPONENT, ['plausibilityMargin'], 0.5);
  await until('the rejection logged', () => p.stderr().includes('/plausibilityMargin'), 30_000, p.stderr);
  expect(p.child.exitCode).toBeNull();
  expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);

  p.child.kill('SIGTERM');
  expect(await p.exited()).toBe(0);
});

it('publishes the gateway health to pcf-edge/health at its interval, as pcf-edge status judges it; 0 stops it', async () => {
  const { server } = gg;
  const store = gg.storePath('health');
  storeWithReadings(store);
  server.setConfiguration(COMPONENT, {
    storePath: store,
    site: 'plant-1',
    gatewayId: 'gw-1',
    windows: ['1m'],
    closeLagMs: 0,
    pollIntervalMs: 100,
    meters: [{ id: 'm1', line: 'line-1', role: 'lineTotal' }],
    healthPublishIntervalMs: 300,
  });
  const p = gg.start(store);
  const health = () =>
    server.published.filter((m) => m.topic === 'pcf-edge/health').map((m) => m.message as HealthMessage);
  const first = await until(
    'an unhealthy report',
    () => health().find((h) => h.aggregator?.behind === 0),
    90_000,
    p.stderr,
  );
  expect(first).toMatchObject({
    component: COMPONENT,
    site: 'plant-1',
    gatewayId: 'gw-1',
    healthy: false,
    problems: ['stream-exporter: no status recorded (it has not run against this store)'],
    exporter: null,
  });

  // The exporter reports (as it does every second while it runs): the next message is healthy.
  const s = openStore(store);
  s.setState(
    'stream-exporter',
    'status',
    JSON.stringify({
      target: 'streamManager',
      stream: 's',
      reachable: true,
      lastSentTs: null,
      lastError: null,
      lastErrorTs: null,
      updatedTs: Date.now() + 60_000,
    }),
  );
  s.close();
  const healthy = await until('a healthy report', () => health().find((h) => h.healthy), 30_000, p.stderr);
  expect(healthy).toMatchObject({ problems: [], exporter: { reachable: true, target: 'streamManager' } });

  server.updateConfiguration(COMPONENT, ['healthPublishIntervalMs'], 0);
  await until('the live change', () => p.stderr().includes('line aggregator reconfigured'), 30_000, p.stderr);
  const count = health().length;
  await new Promise((r) => setTimeout(r, 1500));
  expect(health().length).toBe(count);

  p.child.kill('SIGTERM');
  expect(await p.exited()).toBe(0);
});
