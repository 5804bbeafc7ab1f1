import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@pcf-edge/core';
import { createOpcUaCollector, type OpcUaCollector } from '../src/collector';
import { validateOpcUaConfig } from '../src/config';
import { capture, eventually, type Capture } from './support/harness';
import { startTestServer, TEST_NS, type TestServer } from './support/server';

jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);
jest.setTimeout(180_000);

let dir: string;
let server: TestServer;
let cap: Capture;
let collector: OpcUaCollector;

const counters = ['c1', 'c2', 'c3', 'c4', 'c5'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opcua-recovery-'));
  server = await startTestServer(join(dir, 'server-pki'), [
    ...counters.map((name, i) => ({ name, dataType: 'UInt32' as const, value: i })),
    { name: 'polled', dataType: 'Double' as const, value: 1.5 },
  ]);
  const config = validateOpcUaConfig(
    {
      site: 's',
      maxMonitoredItemsPerSubscription: 2,
      endpoints: [
        {
          id: 'plc',
          url: server.url,
          pkiDir: join(dir, 'client-pki'),
          retry: { initialDelayMs: 200, maxDelayMs: 1000 },
          requestTimeoutMs: 3000,
        },
      ],
      meters: [
        {
          id: 'm',
          line: 'L',
          endpoint: 'plc',
          points: [
            ...counters.map((name) => ({
              name,
              nodeId: `nsu=${TEST_NS};s=${name}`,
              quantity: 'unitsProduced',
              samplingIntervalMs: 100,
            })),
            {
              name: 'polled',
              nodeId: `nsu=${TEST_NS};s=polled`,
              quantity: 'gasVolume',
              mode: 'poll',
              samplingIntervalMs: 200,
            },
          ],
        },
      ],
    },
    'test',
  );
  cap = capture();
  collector = createOpcUaCollector(config, { ...cap.deps, log: silentLogger() });
  await collector.start();
  await cap.waitFor((r) => r.point === 'c5' && r.quality === 'good', 60_000, 'first c5');
  await cap.waitFor((r) => r.point === 'polled' && r.quality === 'good', 60_000, 'first poll');
});

afterAll(async () => {
  await collector?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('monitored items are split across subscriptions at maxMonitoredItemsPerSubscription', () => {
  expect(server.subscriptionSizes().sort()).toEqual([1, 2, 2]);
  expect(collector.stats().endpoints.plc).toMatchObject({ state: 'connected', connects: 1 });
});

test('a session closed by the server is recreated with its subscriptions', async () => {
  const before = cap.readings.length;
  server.closeSessions();
  await cap.waitFor(
    (r) => r.point === 'c1' && r.quality === 'bad' && /^ERR_OPCUA: /.test(r.qualityReason ?? ''),
    60_000,
    'bad after session loss',
  );
  server.set('c1', 1001);
  await cap.waitFor(
    (r) => r.point === 'c1' && r.value === 1001 && r.quality === 'good',
    60_000,
    'c1 after session loss',
  );
  await eventually(
    () =>
      (collector.stats().endpoints.plc?.connects ?? 0) >= 2 && collector.stats().endpoints.plc?.state === 'connected',
    30_000,
    'second connect',
  );
  expect(cap.readings.length).toBeGreaterThan(before);
  expect(server.subscriptionSizes().sort()).toEqual([1, 2, 2]);
});

test('a server restart (with namespaces renumbered) is recovered without restarting the collector', async () => {
  const oldIndex = server.nsIndex;
  const connects = collector.stats().endpoints.plc?.connects ?? 0;
  await server.stop();
  const bad = await cap.waitFor(
    (r) =>
      r.point === 'c2' &&
      r.quality === 'bad' &&
      r.readTs > Date.now() - 20_000 &&
      /connection|closed|keep-alive|read failed/.test(r.qualityReason ?? ''),
    60_000,
    'bad after server stop',
  );
  expect(bad.value).toBeNull();
  await server.restart({ extraNamespacesFirst: ['urn:pcf-edge:test:other-a', 'urn:pcf-edge:test:other-b'] });
  expect(server.nsIndex).not.toBe(oldIndex);
  server.set('c2', 2002);
  server.set('polled', 2.75);
  await cap.waitFor((r) => r.point === 'c2' && r.value === 2002 && r.quality === 'good', 90_000, 'c2 after restart');
  await cap.waitFor(
    (r) => r.point === 'polled' && r.value === 2.75 && r.quality === 'good',
    60_000,
    'polled after restart',
  );
  await eventually(
    () =>
      (collector.stats().endpoints.plc?.connects ?? 0) > connects &&
      collector.stats().endpoints.plc?.state === 'connected',
    30_000,
    'reconnect',
  );
  expect(server.subscriptionSizes().sort()).toEqual([1, 2, 2]);
  const health = collector.health().find((h) => h.meterId === 'm');
  expect(health?.lastError).toMatch(/ERR_OPCUA/);
});
