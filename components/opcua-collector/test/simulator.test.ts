import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ManualClock, readDataFile, silentLogger, type Reading } from '@pcf-edge/core';
import { divideToInteger } from '@pcf-edge/profiles';
import {
  createMeterSimulator,
  opcuaPoints,
  validateScenario,
  type MeterSimulator,
  type Scenario,
} from '@pcf-edge/meter-simulators';
import { createOpcUaCollector, type OpcUaCollector } from '../src/collector';
import { validateOpcUaConfig } from '../src/config';
import { capture, eventually, type Capture } from './support/harness';

jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);
jest.setTimeout(240_000);

/** Integration with the meter simulator's OPC UA server (demo scenario, frozen clock) and its ground truth. */
const DEMO = resolve(__dirname, '../../../simulators/scenarios/demo-factory.yaml');
const AT = Date.parse('2026-11-02T13:05:00Z');

type OpcuaMeters = { id: string; type: Parameters<typeof opcuaPoints>[0]; line: string }[];

let dir: string;
let clock: ManualClock;
let sim: MeterSimulator;
let cap: Capture;
let collector: OpcUaCollector;
let meters: OpcuaMeters;

function demo(): Scenario {
  const raw = readDataFile(DEMO) as Scenario & { opcua?: { port: number } };
  for (const d of raw.modbus.devices) d.port = 0;
  if (raw.opcua) raw.opcua.port = 0;
  raw.faults = [];
  return structuredClone(validateScenario(raw, 'demo-factory (opcua-collector test)')) as Scenario;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opcua-sim-'));
  clock = new ManualClock(AT);
  const scenario = demo();
  meters = (scenario as unknown as { opcua: { meters: OpcuaMeters } }).opcua.meters;
  sim = createMeterSimulator(scenario, { clock, log: silentLogger() });
  await sim.start();
  const uri = sim.opcua?.namespaceUri as string;
  const config = validateOpcUaConfig(
    {
      site: 'demo',
      endpoints: [
        {
          id: 'sim',
          url: sim.opcua?.endpoint,
          pkiDir: join(dir, 'pki'),
          retry: { initialDelayMs: 200, maxDelayMs: 1000 },
          requestTimeoutMs: 3000,
        },
      ],
      meters: meters.map((m) => ({
        id: m.id,
        line: m.line,
        endpoint: 'sim',
        serialNodeId: `nsu=${uri};s=${m.id}.Serial`,
        points: opcuaPoints(m.type).map((p) => ({
          name: p.name,
          nodeId: `nsu=${uri};s=${m.id}.${p.name}`,
          quantity: p.quantity,
          scale: p.scale,
          samplingIntervalMs: 100,
        })),
      })),
    },
    'simulator test',
  );
  cap = capture();
  collector = createOpcUaCollector(config, { ...cap.deps, log: silentLogger() });
  await collector.start();
});

afterAll(async () => {
  await collector?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The collector's latest reading per meter/point. */
function latest(): Map<string, Reading> {
  const out = new Map<string, Reading>();
  for (const r of cap.readings) out.set(`${r.meterId}/${r.point}`, r);
  return out;
}

/** Every point's latest reading equals the simulator's truth at `ts`: exact for integers and Doubles. */
function mismatches(ts: number): string[] {
  const truth = sim.truth.at(ts);
  const got = latest();
  const out: string[] = [];
  for (const m of meters) {
    for (const p of opcuaPoints(m.type)) {
      const r = got.get(`${m.id}/${p.name}`);
      const t = truth.meters[m.id]?.points[p.name] as number;
      // UInt64 Wh: the node holds the integer Wh of the truth's kWh; the reading is that integer / 1000.
      const expected = p.type === 'uint64' ? Number(divideToInteger(t, p.scale)) / 1000 : t;
      if (!r || r.quality !== 'good' || r.value !== expected)
        out.push(`${m.id}/${p.name}: got ${JSON.stringify(r?.value)} (${r?.quality}), truth ${expected}`);
      const serial = truth.meters[m.id]?.serial;
      if (r && r.meterSerial !== serial)
        out.push(`${m.id}/${p.name}: serial ${String(r.meterSerial)}, truth ${String(serial)}`);
    }
  }
  return out;
}

test('every OPC UA point equals the ground truth exactly, and follows it as simulated time moves', async () => {
  await eventually(
    () => mismatches(AT).length === 0,
    60_000,
    () => `truth at AT (${mismatches(AT).join('; ')})`,
  );
  const wh = latest().get('line2-oven/EnergyImportWh');
  expect(wh?.unit).toBe('kWh');
  expect(wh?.value).toBeGreaterThan(7654.321);

  const later = AT + 15 * 60_000;
  clock.set(later);
  await sim.clearFaults(); // runs a simulator tick at the new time
  await eventually(() => mismatches(later).length === 0, 60_000, 'truth 15 min later');
  expect(latest().get('line1-counter/GoodCount')?.value).toBeGreaterThan(150000);
});

test('a meter replacement shows as a new serial on the readings with the new meter’s counter', async () => {
  const before = sim.truth.at(clock.now()).meters['line1-counter']?.serial as string;
  await sim.injectFault('line1-counter', { type: 'meterReplacement', serial: 'LC-NEW-0001', startValue: 1 });
  const now = clock.now();
  expect(sim.truth.at(now).meters['line1-counter']?.serial).toBe('LC-NEW-0001');
  const truth = sim.truth.at(now).meters['line1-counter']?.points as Record<string, number>;
  // The counters restart on the new meter; State did not change, so it has no new reading to carry the serial.
  const replaced = (): boolean =>
    ['GoodCount', 'ScrapCount'].every((p) => {
      const r = latest().get(`line1-counter/${p}`);
      return r?.value === truth[p] && r?.meterSerial === 'LC-NEW-0001' && r.quality === 'good';
    });
  await eventually(
    replaced,
    60_000,
    () =>
      `readings after replacement: ${JSON.stringify([...latest().values()].filter((r) => r.meterId === 'line1-counter'))}`,
  );
  expect(truth.GoodCount).toBe(1);
  expect(cap.readings.some((r) => r.meterId === 'line1-counter' && r.meterSerial === before)).toBe(true);
});

test('the simulator’s badStatus fault gives bad readings with the status name; clearing it recovers', async () => {
  await sim.injectFault('line2-gas', { type: 'badStatus', statusCode: 'BadCommunicationError' });
  const bad = await cap.waitFor(
    (r) => r.meterId === 'line2-gas' && r.point === 'Volume' && r.quality === 'bad',
    60_000,
    'bad gas volume',
  );
  expect(bad).toMatchObject({ value: null, qualityReason: 'BadCommunicationError' });
  await sim.clearFaults('line2-gas');
  await eventually(() => latest().get('line2-gas/Volume')?.quality === 'good', 60_000, 'gas volume good again');
});

test('the simulator’s restart fault: the collector recovers by itself and matches the truth again', async () => {
  const connects = collector.stats().endpoints.sim?.connects ?? 0;
  await sim.injectFault('opcua', { type: 'restart', durationSec: 30 });
  await cap.waitFor(
    (r) => r.meterId === 'line2-gas' && r.quality === 'bad' && /^ERR_OPCUA/.test(r.qualityReason ?? ''),
    60_000,
    'bad readings while down',
  );
  const after = clock.now() + 31_000;
  clock.set(after);
  await sim.clearFaults(); // tick: the server comes back on the same port
  await eventually(() => (collector.stats().endpoints.sim?.connects ?? 0) > connects, 90_000, 'reconnect');
  await eventually(
    () => mismatches(after).length === 0,
    60_000,
    () => `truth after restart (${mismatches(after).join('; ')})`,
  );
});
