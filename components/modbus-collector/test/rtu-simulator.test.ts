import { SerialPort } from 'serialport';
import { ManualClock, type Reading } from '@pcf-edge/core';
import {
  createMeterSimulator,
  type MeterSimulator,
  type RtuLineStats,
  type Scenario,
} from '@pcf-edge/meter-simulators';
import { openPtyPair, type PtyPair } from '../../../test-support/pty-pair';
import { rtuDemoScenario } from '../../../test-support/rtu-scenario';
import { createModbusCollector, type ModbusCollector } from '../src/collector';
import { parseCollectorConfig, type CollectorConfig } from '../src/config';
import { log } from './support';

/**
 * The collector against the meter simulator's RTU bus across a socat PTY pair: four meters on one bus (the demo
 * factory's panel-a meters and its gas counter, unit ids 1–4), simulated time frozen, the simulator pacing every
 * reply at the line's baud rate. Readings must equal the ground truth and the simulator must see the line's
 * rules kept (no request inside the inter-frame silence, none while a reply is due).
 */
const T0 = Date.parse('2026-11-02T08:00:00Z');
/**
 * Beyond the line time. Simulator and collector share this process: on a loaded test machine one of them can stall
 * for a few hundred milliseconds, and a healthy unit must not time out then.
 */
const TIMEOUT_MS = 1000;

function busConfig(scenario: Scenario, at: { path: string } | { port: number }): Readonly<CollectorConfig> {
  const bus = scenario.modbus.devices.find((d) => d.id === 'bus-1')!;
  const { baudRate, parity, stopBits } = bus.serial!;
  const where =
    'path' in at
      ? { transport: 'rtu', serial: { path: at.path, baudRate, parity, stopBits } }
      : { transport: 'rtuOverTcp', host: '127.0.0.1', port: at.port, serial: { baudRate, parity, stopBits } };
  return parseCollectorConfig(
    {
      site: 'plant-1',
      devices: [
        {
          id: 'bus-1',
          ...where,
          timeoutMs: TIMEOUT_MS,
          retry: { initialDelayMs: 20, maxDelayMs: 100 },
          circuitBreaker: { failures: 2, cooldownMs: 60_000 },
        },
      ],
      meters: bus.meters.map((m) => ({
        id: m.id,
        line: m.line ?? 'site',
        device: 'bus-1',
        unitId: m.unitId,
        profile: m.profile,
        role: m.role,
      })),
    },
    'rtu collector',
  );
}

/** Every reading of `meters` good and equal to the truth (floats to their precision, integer gauges to a step). */
function expectTruth(sim: MeterSimulator, c: ModbusCollector, readings: Reading[], meters: string[]): void {
  const truth = sim.truth.at(T0);
  const points = new Map(
    c
      .pollers()
      .flatMap((p) => p.points.map((pt): [string, (typeof p.points)[number]] => [`${p.meter.id}/${pt.name}`, pt])),
  );
  const checked = readings.filter((r) => meters.includes(r.meterId));
  expect(new Set(checked.map((r) => r.meterId))).toEqual(new Set(meters));
  for (const r of checked) {
    const id = `${r.meterId}/${r.point}`;
    const expected = truth.meters[r.meterId]?.points[r.point] as number;
    const pt = points.get(id)!;
    expect({ id, quality: r.quality, why: r.qualityReason }).toEqual({ id, quality: 'good', why: undefined });
    const v = r.value as number;
    if (pt.type === 'float32' || pt.type === 'float64') {
      const eps = pt.type === 'float32' ? 2 ** -23 : 2 ** -52;
      expect(Math.abs(v - expected)).toBeLessThanOrEqual(Math.abs(expected) * eps * 1.01);
    } else if (pt.kind === 'counter') expect({ id, value: v }).toEqual({ id, value: expected });
    else expect(Math.abs(v - expected)).toBeLessThanOrEqual(pt.scale / 2 + 1e-9);
  }
}

const ALL = ['line1-main', 'line1-press', 'site-baseload', 'line1-gas'];

describe.each([9600, 38400])('collector and simulator on one RTU bus at %i baud', (baudRate) => {
  const clock = new ManualClock(T0);
  let pty: PtyPair;
  let scenario: Scenario;
  let sim: MeterSimulator;
  let collector: ModbusCollector;

  beforeAll(async () => {
    pty = await openPtyPair();
    scenario = rtuDemoScenario({ transport: 'rtu', path: pty.b, baudRate });
    sim = createMeterSimulator(scenario, { clock, log });
    await sim.start();
  });
  afterAll(async () => {
    await sim.stop();
    await pty.close();
  });
  let line0: RtuLineStats;
  beforeEach(async () => {
    await sim.clearFaults();
    line0 = { ...sim.lineStats()['bus-1']! };
    collector = createModbusCollector(busConfig(scenario, { path: pty.a }), { clock, log });
  });
  afterEach(async () => {
    await collector.stop();
    const line = sim.lineStats()['bus-1']!;
    expect({
      silenceViolations: line.silenceViolations - line0.silenceViolations,
      collisions: line.collisions - line0.collisions,
      badRequests: line.badRequests - line0.badRequests,
    }).toEqual({ silenceViolations: 0, collisions: 0, badRequests: 0 });
  });

  it('reads four meters on one bus, one request at a time, equal to the truth', async () => {
    expectTruth(sim, collector, await collector.pollOnce(), ALL);
    expectTruth(sim, collector, await collector.pollOnce(), ALL);
    const stats = collector.stats().devices['bus-1']!;
    expect(stats).toMatchObject({ timeouts: 0, crcErrors: 0, connects: 1 });
    expect(stats.requests).toBe(2 * collector.pollers().reduce((n, p) => n + p.plan.length, 0));
  });

  it('retries a reply with a CRC error and keeps every value good', async () => {
    await sim.injectFault('line1-press', { type: 'crcError', every: 2 });
    expectTruth(sim, collector, await collector.pollOnce(), ALL);
    const plan = collector.pollers().find((p) => p.meter.id === 'line1-press')!.plan.length;
    expect(collector.stats().devices['bus-1']?.crcErrors).toBe(plan);
  });

  it('gives up on a meter whose every reply is corrupted, and only on it', async () => {
    await sim.injectFault('line1-press', { type: 'crcError' });
    const rs = await collector.pollOnce();
    const press = rs.filter((r) => r.meterId === 'line1-press');
    expect(press.every((r) => r.quality === 'bad' && r.qualityReason === 'CRC error (3 attempts)')).toBe(true);
    expectTruth(sim, collector, rs, ['line1-main', 'site-baseload', 'line1-gas']);
  });

  it('a dead unit costs one timeout per poll, then its breaker takes it off the bus', async () => {
    await sim.injectFault('site-baseload', { type: 'noReply' });
    const reasons: string[] = [];
    for (let poll = 0; poll < 4; poll++) {
      const rs = await collector.pollOnce();
      reasons.push(rs.find((r) => r.meterId === 'site-baseload')?.qualityReason ?? '');
      expectTruth(sim, collector, rs, ['line1-main', 'line1-press', 'line1-gas']);
    }
    expect(reasons.slice(0, 2)).toEqual(['timeout', 'timeout']);
    expect(reasons.slice(2).every((r) => r.startsWith('circuit open'))).toBe(true);
    expect(collector.stats().devices['bus-1']).toMatchObject({ timeouts: 2, drops: 0, connects: 1 });
  });

  it('stop resolves once the serial port is released: another program opens it at once', async () => {
    expectTruth(sim, collector, await collector.pollOnce(), ALL);
    await collector.stop();
    const other = new SerialPort({ path: pty.a, baudRate, parity: 'even', autoOpen: false });
    await new Promise<void>((resolve, reject) => other.open((err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });
});

describe('collector and simulator over RTU over TCP', () => {
  it('reads the bus through a converter in transparent mode', async () => {
    const clock = new ManualClock(T0);
    const scenario = rtuDemoScenario({ transport: 'rtuOverTcp', baudRate: 19200, parity: 'none', stopBits: 2 });
    const sim = createMeterSimulator(scenario, { clock, log });
    await sim.start();
    const collector = createModbusCollector(busConfig(scenario, { port: sim.ports.modbus['bus-1']! }), { clock, log });
    try {
      expectTruth(sim, collector, await collector.pollOnce(), ALL);
      await sim.injectFault('line1-gas', { type: 'crcError', every: 2 });
      expectTruth(sim, collector, await collector.pollOnce(), ALL);
      expect(collector.stats().devices['bus-1']).toMatchObject({ crcErrors: 1, connects: 1 });
      expect(sim.lineStats()['bus-1']).toMatchObject({ silenceViolations: 0, collisions: 0 });
    } finally {
      await collector.stop();
      await sim.stop();
    }
  });
});
