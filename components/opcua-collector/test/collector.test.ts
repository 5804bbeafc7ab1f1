import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusCodes } from 'node-opcua';
import { silentLogger } from '@pcf-edge/core';
import { createOpcUaCollector, type OpcUaCollector } from '../src/collector';
import { validateOpcUaConfig } from '../src/config';
import { capture, type Capture } from './support/harness';
import { startTestServer, TEST_NS, type TestServer } from './support/server';

jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);
jest.setTimeout(120_000);

const BIG = [0x0001_2345, 0x89ab_cdef] as [number, number]; // 0x0001234589abcdef = 320255972347375 < 2^53
const BIG_VALUE = 0x0001_2345 * 2 ** 32 + 0x89ab_cdef;

let dir: string;
let server: TestServer;
let cap: Capture;
let collector: OpcUaCollector;

function config(url: string, pkiDir: string) {
  return validateOpcUaConfig(
    {
      site: 'plant-1',
      endpoints: [
        {
          id: 'plc',
          url,
          pkiDir,
          automaticallyAcceptUnknownCertificate: true,
          retry: { initialDelayMs: 200, maxDelayMs: 1000 },
          requestTimeoutMs: 3000,
        },
      ],
      meters: [
        {
          id: 'gas-1',
          line: 'L1',
          endpoint: 'plc',
          points: [
            { name: 'volume', nodeId: `nsu=${TEST_NS};s=gas1.volume`, quantity: 'gasVolume', samplingIntervalMs: 100 },
            {
              name: 'flow',
              nodeId: `nsu=${TEST_NS};s=gas1.flow`,
              quantity: 'gasFlow',
              mode: 'poll',
              samplingIntervalMs: 200,
            },
            {
              name: 'flowDeadband',
              nodeId: `nsu=${TEST_NS};s=gas1.flow2`,
              quantity: 'gasFlow',
              samplingIntervalMs: 100,
              deadband: 10,
            },
          ],
        },
        {
          id: 'el-1',
          line: 'L1',
          endpoint: 'plc',
          points: [
            {
              name: 'energy',
              nodeId: `nsu=${TEST_NS};s=el1.energyWh`,
              quantity: 'activeEnergyImport',
              scale: 0.001,
              samplingIntervalMs: 100,
            },
            {
              name: 'energyRaw',
              nodeId: `nsu=${TEST_NS};s=el1.energyWh`,
              quantity: 'activeEnergyImport',
              mode: 'poll',
              samplingIntervalMs: 200,
            },
            {
              name: 'huge',
              nodeId: `nsu=${TEST_NS};s=el1.huge`,
              quantity: 'activeEnergyImport',
              samplingIntervalMs: 100,
            },
            { name: 'signed', nodeId: `nsu=${TEST_NS};s=el1.signed`, quantity: 'activePower', samplingIntervalMs: 100 },
          ],
        },
        {
          id: 'line-1',
          line: 'L1',
          endpoint: 'plc',
          points: [
            { name: 'good', nodeId: `nsu=${TEST_NS};s=line1.good`, quantity: 'unitsProduced', samplingIntervalMs: 100 },
            {
              name: 'scrap',
              nodeId: `nsu=${TEST_NS};s=line1.scrap`,
              quantity: 'unitsScrapped',
              mode: 'poll',
              samplingIntervalMs: 200,
            },
            {
              name: 'missing',
              nodeId: `nsu=${TEST_NS};s=does.not.exist`,
              quantity: 'machineState',
              samplingIntervalMs: 100,
            },
            { name: 'wrongNs', nodeId: 'nsu=urn:not-there;s=x', quantity: 'machineState', samplingIntervalMs: 100 },
          ],
        },
      ],
    },
    'test',
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opcua-collector-'));
  server = await startTestServer(join(dir, 'server-pki'), [
    { name: 'gas1.volume', dataType: 'Double', value: 12345.678901 },
    { name: 'gas1.flow', dataType: 'Double', value: 3.25 },
    { name: 'gas1.flow2', dataType: 'Double', value: 100 },
    { name: 'el1.energyWh', dataType: 'UInt64', value: BIG },
    { name: 'el1.huge', dataType: 'UInt64', value: [0x0020_0000, 1] }, // 2^53 + 1
    { name: 'el1.signed', dataType: 'Int64', value: [0xffff_ffff, 0xffff_fffe] }, // -2
    { name: 'line1.good', dataType: 'UInt32', value: 4_294_967_295 },
    { name: 'line1.scrap', dataType: 'UInt32', value: 17 },
  ]);
  cap = capture();
  collector = createOpcUaCollector(config(server.url, join(dir, 'client-pki')), { ...cap.deps, log: silentLogger() });
  await collector.start();
});

afterAll(async () => {
  await collector?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const latest = (meterId: string, point: string) =>
  cap.waitFor((r) => r.meterId === meterId && r.point === point, 60_000, `${meterId}/${point}`);

test('readings equal the server values exactly: Double, UInt32, UInt64 (scaled and raw), Int64', async () => {
  const [volume, flow, energy, raw, good, scrap, signed] = await Promise.all([
    latest('gas-1', 'volume'),
    latest('gas-1', 'flow'),
    latest('el-1', 'energy'),
    latest('el-1', 'energyRaw'),
    latest('line-1', 'good'),
    latest('line-1', 'scrap'),
    latest('el-1', 'signed'),
  ]);
  expect(volume).toMatchObject({
    value: 12345.678901,
    unit: 'm3',
    quality: 'good',
    kind: 'counter',
    site: 'plant-1',
    line: 'L1',
  });
  expect(flow).toMatchObject({ value: 3.25, unit: 'm3/h', quality: 'good', kind: 'gauge' });
  expect(raw).toMatchObject({ value: BIG_VALUE, quality: 'good' });
  expect(energy).toMatchObject({ value: BIG_VALUE / 1000, unit: 'kWh', quality: 'good' });
  expect(good).toMatchObject({ value: 4_294_967_295, quality: 'good' });
  expect(scrap).toMatchObject({ value: 17, quality: 'good' });
  expect(signed).toMatchObject({ value: -2, quality: 'good' });
  expect(typeof volume.sourceTs).toBe('number');
});

test('a UInt64 above 2^53 is kept as the nearest double, flagged uncertain', async () => {
  const huge = await latest('el-1', 'huge');
  expect(huge.quality).toBe('uncertain');
  expect(huge.value).toBe(2 ** 53);
  expect(huge.qualityReason).toMatch(/^inexact: UInt64 9007199254740993 exceeds 2\^53/);
});

test('unknown nodes and unknown namespaces give bad readings naming the reason', async () => {
  const [missing, wrongNs] = await Promise.all([latest('line-1', 'missing'), latest('line-1', 'wrongNs')]);
  expect(missing).toMatchObject({ quality: 'bad', value: null, qualityReason: 'BadNodeIdUnknown' });
  expect(wrongNs).toMatchObject({ quality: 'bad', value: null });
  expect(wrongNs.qualityReason).toMatch(
    /BadNodeIdUnknown: namespace urn:not-there is not in the server's NamespaceArray/,
  );
});

test('value changes arrive; Bad and Uncertain status codes map to quality with the status name', async () => {
  server.set('line1.good', 5);
  await cap.waitFor((r) => r.point === 'good' && r.value === 5, 30_000, 'good=5');
  server.set('gas1.volume', 0, StatusCodes.BadSensorFailure);
  const bad = await cap.waitFor((r) => r.point === 'volume' && r.quality === 'bad', 30_000, 'bad volume');
  expect(bad).toMatchObject({ value: null, qualityReason: 'BadSensorFailure' });
  server.set('line1.scrap', 18, StatusCodes.UncertainLastUsableValue);
  const unc = await cap.waitFor((r) => r.point === 'scrap' && r.quality === 'uncertain', 30_000, 'uncertain scrap');
  expect(unc).toMatchObject({ value: 18, qualityReason: 'UncertainLastUsableValue' });
  server.set('gas1.volume', 12346.5);
  await cap.waitFor((r) => r.point === 'volume' && r.quality === 'good' && r.value === 12346.5, 30_000, 'volume back');
});

test('an absolute deadband suppresses changes within it', async () => {
  await latest('gas-1', 'flowDeadband');
  server.set('gas1.flow2', 105);
  await new Promise((r) => setTimeout(r, 1500)); // many 100 ms samples see 105
  server.set('gas1.flow2', 120);
  await cap.waitFor((r) => r.point === 'flowDeadband' && r.value === 120, 30_000, 'flow 120');
  const values = cap.readings.filter((r) => r.point === 'flowDeadband').map((r) => r.value);
  expect(values).toEqual([100, 120]);
});

test('health rows reflect per-meter state', () => {
  const rows = collector.health();
  const byId = Object.fromEntries(rows.map((r) => [r.meterId, r]));
  expect(byId['gas-1']).toMatchObject({ state: 'ok', collector: 'opcua-collector', consecutiveFailures: 0 });
  expect(byId['line-1']?.state).toBe('degraded');
  expect(byId['line-1']?.consecutiveFailures).toBeGreaterThanOrEqual(1);
  expect(byId['line-1']?.lastGoodTs).not.toBeNull();
});
