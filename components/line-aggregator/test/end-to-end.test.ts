import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ManualClock,
  readDataFile,
  silentLogger,
  type LineRollup,
  type MeterCounterRollup,
  type Reading,
  type SiteRollup,
} from '@pcf-edge/core';
import {
  createMeterSimulator,
  opcuaPoints,
  validateScenario,
  type MeterSimulator,
  type Scenario,
} from '@pcf-edge/meter-simulators';
import { createModbusCollector, parseCollectorConfig, type ModbusCollector } from '@pcf-edge/modbus-collector';
import { createOpcUaCollector, validateOpcUaConfig, type OpcUaCollector } from '@pcf-edge/opcua-collector';
import { getProfile } from '@pcf-edge/profiles';
import { openStore, type GatewayStore, type ReadingWriter } from '@pcf-edge/store';
import { deriveStackConfigs } from '../../../scripts/stack/configs';
import { createLineAggregator, validateAggregatorConfig, type LineAggregator } from '../src';

jest.mock('hexy', () => jest.requireActual('../../opcua-collector/test/support/hexy-mock').hexyMock);
jest.setTimeout(180_000);

/**
 * Demo scenario through the real parts: meter simulator (Modbus TCP + OPC UA servers) → Modbus and OPC UA
 * collectors → SQLite store → line aggregator, configured by the local stack's deriveStackConfigs. One
 * ManualClock is simulated time for all of them; it advances in STEP_MS steps and, at each step, every meter is
 * read exactly once at that instant (Modbus: pollOnce; OPC UA: the simulator writes its nodes with the step time
 * as source timestamp, and we wait until the collector delivered every counter node with that source timestamp).
 *
 * Why the comparison is exact: T0 is on a minute boundary and STEP_MS divides a minute, so every meter has a
 * reading at every window edge. A window's consumption is then the difference of the register values at its two
 * edges (no interpolation), and the sum over the complete windows [first, last) telescopes to
 * register(last) − register(first). The simulator's truth gives, per meter point, exactly what a correct decoder
 * gets (integer registers) or the unrounded value (floats: the register holds the nearest float32/float64), so:
 *   integer registers and float64 → equal up to double rounding of the sums (1e-9 relative);
 *   float32 → each of the two end readings is within half an ulp (|v| × 2^-24) of the truth.
 * The physical truth (truth.lineEnergy) differs from the register differences by the register resolution only,
 * which is checked separately with that bound.
 */
const DEMO = resolve(__dirname, '../../../simulators/scenarios/demo-factory.yaml');
const MIN = 60_000;
const STEP_MS = 15_000;
const SIM_MS = 10 * MIN;
const log = silentLogger();

function demoScenario(): Scenario {
  const raw = readDataFile(DEMO) as Scenario & { opcua?: { port: number } };
  for (const d of raw.modbus.devices) d.port = 0;
  if (raw.opcua) raw.opcua.port = 0;
  raw.faults = []; // scheduled faults lie hours after the span simulated here; none is active
  return structuredClone(validateScenario(raw, 'demo-factory (end-to-end test)')) as Scenario;
}

const scenario = demoScenario();
/** 08:00 UTC: both lines producing (line-1 for 4 h, line-2 for 5 h from 06:00). */
const T0 = Date.parse(scenario.startTime) + 2 * 3_600_000;
const clock = new ManualClock(T0);
const dir = mkdtempSync(join(tmpdir(), 'e2e-agg-'));
let sim: MeterSimulator;
let store: GatewayStore;
let writer: ReadingWriter;
let modbus: ModbusCollector;
let opcua: OpcUaCollector;
let aggregator: LineAggregator;
/** OPC UA counter points: latest source timestamp delivered per `meter/point`. */
const uaSeen = new Map<string, number>();
const uaCounters: string[] = [];
let readings = 0;
let closeLagMs = 0;

beforeAll(async () => {
  sim = createMeterSimulator(scenario, { clock, log });
  await sim.start();
  // pollIntervalMs is wall-clock: 100 ms keeps the OPC UA read loop quick between steps; the Modbus collector is
  // driven by pollOnce, and its interval is also its staleness bound, so it gets a generous one (loaded machine).
  const settings = (pollIntervalMs: number) => ({
    gatewayId: 'gw-e2e',
    gatewayKeyFile: join(dir, 'gateway-signing-key.json'),
    pkiDir: join(dir, 'pki'),
    streamManagerPort: 1,
    kinesisStreamName: 'unused',
    pollIntervalMs,
    modbusPorts: sim.ports.modbus,
    opcuaEndpoint: sim.opcua?.endpoint,
  });
  const cfg = {
    ...deriveStackConfigs(scenario, settings(100)),
    modbus: deriveStackConfigs(scenario, settings(60_000)).modbus,
  };
  if (!cfg.opcua) throw new Error('the demo scenario has OPC UA meters: the stack config must have an OPC UA part');
  store = openStore(join(dir, 'gateway.db'));
  writer = store.createReadingWriter({ maxBatch: 100_000, maxDelayMs: 3_600_000 });
  const write = (r: Reading): void => {
    readings++;
    writer.write(r);
  };
  // Each meter is described once, in its collector's configuration: the collectors publish that site model into
  // the store and the aggregator (whose stack configuration lists no meters) reads line, role and modulus there.
  modbus = createModbusCollector(parseCollectorConfig(cfg.modbus, 'stack modbus config'), {
    clock,
    log,
    onReading: write,
    siteModel: store,
  });
  const uaConfig = validateOpcUaConfig(cfg.opcua, 'stack opcua config');
  for (const p of counterPoints())
    if (uaConfig.meters.some((m) => m.id === p.meterId)) uaCounters.push(`${p.meterId}/${p.point}`);
  opcua = createOpcUaCollector(uaConfig, {
    readings: {
      write: (r) => {
        if (r.sourceTs !== null && r.quality === 'good') uaSeen.set(`${r.meterId}/${r.point}`, r.sourceTs);
        write(r);
      },
    },
    health: store,
    log,
    clock,
    siteModel: store,
  });
  await opcua.start();
  const aggConfig = validateAggregatorConfig(cfg.aggregator);
  closeLagMs = aggConfig.closeLagMs;
  aggregator = createLineAggregator(aggConfig, { store, clock, log });
});

afterAll(async () => {
  await opcua?.stop();
  await modbus?.stop();
  await sim?.stop();
  writer?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function eventually(ok: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Moves simulated time to `ts` and reads every meter once at `ts`. */
async function step(ts: number): Promise<void> {
  clock.set(ts);
  await sim.clearFaults(); // a simulator tick: OPC UA nodes now hold their values at ts, source timestamp ts
  const mb = await modbus.pollOnce();
  const bad = mb.filter((r) => r.quality !== 'good' || r.readTs !== ts);
  if (bad.length > 0)
    throw new Error(`Modbus readings not good at ${new Date(ts).toISOString()}: ${JSON.stringify(bad.slice(0, 3))}`);
  await eventually(
    () => uaCounters.every((k) => uaSeen.get(k) === ts),
    30_000,
    () =>
      `OPC UA counters at ${new Date(ts).toISOString()}: ${uaCounters.map((k) => `${k}@${uaSeen.get(k)}`).join(', ')}`,
  );
  writer.flush();
  aggregator.drain();
}

/** Every counter point the simulator serves, with its meter's role and line, register type and step. */
interface CounterPoint {
  meterId: string;
  point: string;
  quantity: string;
  role: string;
  line: string;
  type: string;
  scale: number;
}

function counterPoints(): CounterPoint[] {
  const out: CounterPoint[] = [];
  for (const d of scenario.modbus.devices) {
    for (const m of d.meters) {
      for (const p of getProfile(m.profile).points) {
        if (p.kind === 'counter')
          out.push({
            meterId: m.id,
            point: p.name,
            quantity: p.quantity,
            role: m.role,
            line: m.line ?? 'site',
            type: p.type,
            scale: p.scale,
          });
      }
    }
  }
  for (const m of scenario.opcua?.meters ?? []) {
    for (const p of opcuaPoints(m.type)) {
      if (p.kind === 'counter')
        out.push({
          meterId: m.id,
          point: p.name,
          quantity: p.quantity,
          role: m.role,
          line: m.line ?? 'site',
          type: p.type,
          scale: p.scale,
        });
    }
  }
  return out;
}

const FIELD = {
  activeEnergyImport: 'electricityKWh',
  gasVolume: 'gasM3',
  unitsProduced: 'unitsGood',
  unitsScrapped: 'unitsScrap',
} as const;
type Field = (typeof FIELD)[keyof typeof FIELD];

/**
 * Expected total of one quantity over [a, b) from the truth's register values, and the float32 bound.
 * A meter with two registers for the same quantity (the PM5xxx's int64 Wh and its float32 kWh twin) counts once:
 * its first register in profile order, as the aggregator must.
 */
function expected(points: CounterPoint[], a: number, b: number): { value: number; bound: number; float32: boolean } {
  const ta = sim.truth.at(a).meters;
  const tb = sim.truth.at(b).meters;
  let value = 0;
  let bound = 0;
  let float32 = false;
  const counted = new Set<string>();
  for (const p of points) {
    const once = `${p.meterId}/${p.quantity}`;
    if (counted.has(once)) continue;
    counted.add(once);
    const va = ta[p.meterId]!.points[p.point]!;
    const vb = tb[p.meterId]!.points[p.point]!;
    expect(vb).toBeGreaterThanOrEqual(va); // no rollover in the span (the test would need the modulus otherwise)
    value += vb - va;
    if (p.type === 'float32') {
      float32 = true;
      bound += (Math.abs(va) + Math.abs(vb)) * 2 ** -24;
    }
  }
  return { value, bound: bound + Math.abs(value) * 1e-9, float32 };
}

test('10 simulated minutes of the demo scenario: line energy and units equal the simulator’s truth', async () => {
  const wall = Date.now();
  // Readings every 15 s from T0 to T0 + 10 min, then one more step past the last window's end + closeLagMs.
  const end = T0 + SIM_MS;
  for (let ts = T0; ts <= end + closeLagMs + STEP_MS - 1; ts += STEP_MS) await step(ts);
  expect(readings).toBeGreaterThan(0);

  // Complete windows between the first (T0) and last (end + lag) readings: [T0, end) = 10 windows of 1 min.
  const lineIds = [...new Set(scenario.sites[0]!.lines.map((l) => l.id))];
  const points = counterPoints();
  const report: string[] = [];
  for (const line of lineIds) {
    const windows = store
      .listRollups({ type: 'line', windowMs: MIN, fromMs: T0, toMs: end - 1 })
      .map((s) => s.rollup as LineRollup)
      .filter((r) => r.line === line);
    expect(windows.map((w) => Date.parse(w.windowStart))).toEqual(
      Array.from({ length: SIM_MS / MIN }, (_, i) => T0 + i * MIN),
    );
    for (const w of windows)
      expect({ window: w.windowStart, line, coverage: w.coverage, estimated: w.estimated, flags: w.flags }).toEqual({
        window: w.windowStart,
        line,
        coverage: 1,
        estimated: false,
        flags: [],
      });
    const got = (f: Field): number => windows.reduce((s, w) => s + w[f], 0);
    const physical = sim.truth.lineEnergy(line, T0, end);
    for (const [quantity, field] of Object.entries(FIELD) as [keyof typeof FIELD, Field][]) {
      const ofLine = points.filter((p) => p.line === line && p.role === 'lineTotal' && p.quantity === quantity);
      const units = quantity === 'unitsProduced' || quantity === 'unitsScrapped';
      expect(ofLine.length).toBeGreaterThan(0);
      const exp = expected(ofLine, T0, end);
      const diff = got(field) - exp.value;
      report.push(
        `${line} ${field}: got ${got(field)}, truth ${exp.value}, diff ${diff.toExponential(3)} (bound ${exp.bound.toExponential(3)}${exp.float32 ? ', float32' : ''}); physical ${physical[field]}`,
      );
      expect({ line, field, diff: Math.abs(diff) <= exp.bound ? 'within bound' : diff }).toEqual({
        line,
        field,
        diff: 'within bound',
      });
      // Against the physics: register differences lose at most one register step per meter (units: none).
      const steps = units
        ? 0
        : ofLine
            .filter((p, i) => ofLine.findIndex((q) => q.meterId === p.meterId) === i)
            .reduce((s, p) => s + (p.type.startsWith('float') ? 0 : p.scale), 0);
      expect(Math.abs(got(field) - physical[field])).toBeLessThanOrEqual(
        steps + exp.bound + Math.abs(physical[field]) * 1e-9,
      );
    }
    expect(got('unitsGood')).toBeGreaterThan(0);
    expect(got('electricityKWh')).toBeGreaterThan(0);
  }

  // Site baseload: the iEM3000's float32 kWh register, float32 precision.
  const sites = store
    .listRollups({ type: 'site', windowMs: MIN, fromMs: T0, toMs: end - 1 })
    .map((s) => s.rollup as SiteRollup);
  expect(sites).toHaveLength(SIM_MS / MIN);
  const base = expected(
    points.filter((p) => p.role === 'baseload' && p.quantity === 'activeEnergyImport'),
    T0,
    end,
  );
  const baseGot = sites.reduce((s, w) => s + w.baseloadKWh, 0);
  report.push(
    `site baseloadKWh: got ${baseGot}, truth ${base.value}, diff ${(baseGot - base.value).toExponential(3)} (bound ${base.bound.toExponential(3)}, float32)`,
  );
  expect(base.float32).toBe(true);
  expect(Math.abs(baseGot - base.value)).toBeLessThanOrEqual(base.bound);
  for (const s of sites)
    expect({ coverage: s.coverage, estimated: s.estimated }).toEqual({ coverage: 1, estimated: false });

  // Every counter point of every meter (sub-meters too: SDM630 float32, OPC UA UInt64 Wh as [high, low]).
  const meterRollups = store
    .listRollups({ type: 'meterCounter', windowMs: MIN, fromMs: T0, toMs: end - 1 })
    .map((s) => s.rollup as MeterCounterRollup);
  for (const p of points) {
    const mine = meterRollups.filter((r) => r.meterId === p.meterId && r.point === p.point);
    expect({ point: `${p.meterId}/${p.point}`, windows: mine.length }).toEqual({
      point: `${p.meterId}/${p.point}`,
      windows: SIM_MS / MIN,
    });
    const exp = expected([p], T0, end);
    const diff = mine.reduce((s, r) => s + r.delta, 0) - exp.value;
    if (p.type === 'float32' || diff !== 0)
      report.push(
        `${p.meterId}/${p.point} (${p.type}): diff ${diff.toExponential(3)} (bound ${exp.bound.toExponential(3)})`,
      );
    expect({ point: `${p.meterId}/${p.point}`, diff: Math.abs(diff) <= exp.bound ? 'within bound' : diff }).toEqual({
      point: `${p.meterId}/${p.point}`,
      diff: 'within bound',
    });
  }

  report.push(`${readings} readings, ${Math.round((Date.now() - wall) / 1000)} s wall`);
  if (process.env.E2E_REPORT) console.log(report.join('\n'));
});
