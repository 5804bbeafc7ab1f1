import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ManualClock, readDataFile, type Reading } from '@pcf-edge/core';
import { createMeterSimulator, validateScenario, type MeterSimulator, type Scenario } from '@pcf-edge/meter-simulators';
import { createModbusCollector, type ModbusCollector } from '../src/collector';
import { meterPoints, parseCollectorConfig, type CollectorConfig } from '../src/config';
import { log } from './support';

/**
 * Integration against the meter simulator's demo scenario (Modbus part, faults cleared, ports ephemeral) with a
 * manual clock: the collector's readings must equal the simulator's ground truth at the same instant.
 */
const DEMO = join(__dirname, '../../../simulators/scenarios/demo-factory.yaml');

function demoScenario(): Scenario {
  const raw = readDataFile(DEMO) as Scenario;
  for (const d of raw.modbus.devices) d.port = 0;
  delete raw.opcua;
  raw.faults = [];
  return structuredClone(validateScenario(raw, 'demo-factory (test)')) as Scenario;
}

function collectorConfig(
  scenario: Scenario,
  ports: Record<string, number>,
  maxGapRegisters = 8,
): Readonly<CollectorConfig> {
  return parseCollectorConfig(
    {
      site: 'plant-1',
      devices: scenario.modbus.devices.map((d) => ({
        id: d.id,
        host: '127.0.0.1',
        port: ports[d.id],
        timeoutMs: 1000,
        connectTimeoutMs: 1000,
        maxGapRegisters,
        retry: { initialDelayMs: 20, maxDelayMs: 100 },
        circuitBreaker: { failures: 100, cooldownMs: 1000 },
      })),
      meters: scenario.modbus.devices.flatMap((d) =>
        d.meters.map((m) => ({
          id: m.id,
          line: m.line ?? 'site',
          device: d.id,
          unitId: m.unitId,
          profile: m.profile,
          role: m.role,
        })),
      ),
    },
    'demo collector',
  );
}

describe('collector against the demo scenario', () => {
  const scenario = demoScenario();
  const T0 = Date.parse(scenario.startTime) + 2 * 3_600_000;
  const clock = new ManualClock(T0);
  let sim: MeterSimulator;
  let collector: ModbusCollector;

  beforeAll(async () => {
    sim = createMeterSimulator(scenario, { clock, log });
    await sim.start();
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    clock.set(T0);
    await sim.clearFaults();
    collector = createModbusCollector(collectorConfig(scenario, sim.ports.modbus), { clock, log });
  });
  afterEach(async () => {
    await collector.stop();
  });

  /** Every reading good and equal to the truth: exact for integer registers, to float precision for floats. */
  function expectTruth(readings: Reading[], meters?: string[]): void {
    const truth = sim.truth.at(clock.now());
    const points = new Map(
      collector.pollers().flatMap((p) => p.points.map((pt) => [`${p.meter.id}/${pt.name}`, pt] as const)),
    );
    const checked = readings.filter((r) => !meters || meters.includes(r.meterId));
    expect(checked.length).toBeGreaterThan(0);
    for (const r of checked) {
      const expected = truth.meters[r.meterId]?.points[r.point];
      const pt = points.get(`${r.meterId}/${r.point}`)!;
      expect({ id: `${r.meterId}/${r.point}`, quality: r.quality }).toEqual({
        id: `${r.meterId}/${r.point}`,
        quality: 'good',
      });
      if (pt.type === 'float32' || pt.type === 'float64') {
        const eps = pt.type === 'float32' ? 2 ** -23 : 2 ** -52;
        expect(Math.abs((r.value as number) - (expected as number))).toBeLessThanOrEqual(
          Math.abs(expected as number) * eps * 1.01,
        );
      } else if (pt.kind === 'counter') {
        expect({ id: `${r.meterId}/${r.point}`, value: r.value }).toEqual({
          id: `${r.meterId}/${r.point}`,
          value: expected,
        });
      } else {
        // Integer gauges: the truth is unrounded, the register holds it rounded to one step (scale).
        expect(Math.abs((r.value as number) - (expected as number))).toBeLessThanOrEqual(pt.scale / 2 + 1e-9);
      }
      expect(r.readTs).toBe(clock.now());
    }
  }

  it('reads every point of every Modbus meter equal to the ground truth', async () => {
    const readings = await collector.pollOnce();
    const expected = scenario.modbus.devices
      .flatMap((d) => d.meters)
      .reduce((n, m) => n + meterPoints({ ...m, device: '', line: '', pollIntervalMs: 1000 }).length, 0);
    expect(readings).toHaveLength(expected);
    expectTruth(readings);
    clock.advance(15 * 60_000);
    expectTruth(await collector.pollOnce());
  });

  it("bridges gaps, splits on the simulator's exception 2 and still matches the truth", async () => {
    await collector.stop();
    collector = createModbusCollector(collectorConfig(scenario, sim.ports.modbus, 40), { clock, log });
    expectTruth(await collector.pollOnce());
    expect(collector.pollers().some((p) => p.holes.length > 0)).toBe(true);
    expectTruth(await collector.pollOnce());
  });

  it('noReply on one device: its meters time out, the others stay good, and it recovers', async () => {
    await sim.injectFault('panel-b', { type: 'noReply' });
    const r = await collector.pollOnce();
    const feeds = r.filter((x) => x.meterId.startsWith('line2-feed'));
    // The first read times out; reads queued behind it fail at once while the link backs off.
    expect(feeds.every((x) => x.quality === 'bad' && x.value === null && /timeout/.test(x.qualityReason ?? ''))).toBe(
      true,
    );
    expect(feeds.some((x) => x.qualityReason === 'timeout')).toBe(true);
    expectTruth(r, ['line1-main', 'line1-press', 'site-baseload', 'line1-gas']);
    await sim.clearFaults('panel-b');
    await sleep(150);
    expectTruth(await collector.pollOnce());
  });

  it('exceptions become bad readings with the exception code', async () => {
    await sim.injectFault('line1-press', { type: 'exception', code: 6 });
    const r = await collector.pollOnce();
    expect(
      r
        .filter((x) => x.meterId === 'line1-press')
        .every((x) => x.quality === 'bad' && x.qualityReason === 'exception 6'),
    ).toBe(true);
    expectTruth(r, ['line1-main', 'site-baseload']);
  });

  it('disconnect and restart: bad while down, automatic recovery after', async () => {
    await collector.pollOnce();
    await sim.injectFault('panel-b', { type: 'disconnect', durationSec: 30 });
    await sim.injectFault('panel-a', { type: 'restart', durationSec: 10 });
    const down = await collector.pollOnce();
    expect(
      down
        .filter((x) => x.meterId.startsWith('line2-feed') || x.meterId === 'line1-main')
        .every((x) => x.quality === 'bad'),
    ).toBe(true);
    expectTruth(down, ['line1-gas']);
    clock.advance(31_000);
    let r: Reading[] = [];
    for (let i = 0; i < 30; i++) {
      await sleep(100);
      r = await collector.pollOnce();
      if (r.every((x) => x.quality === 'good')) break;
    }
    expectTruth(r);
  });

  it('NaN floats and not-available integers are bad; garbage never crashes and clears', async () => {
    await sim.injectFault('line1-press', { type: 'nan' });
    await sim.injectFault('line2-feed-a', { type: 'nan' });
    await sim.injectFault('line1-main', { type: 'garbage' });
    const r = await collector.pollOnce();
    const press = r.filter((x) => x.meterId === 'line1-press');
    expect(press.every((x) => x.quality === 'bad' && x.qualityReason === 'NaN')).toBe(true);
    const feed = r.filter((x) => x.meterId === 'line2-feed-a');
    expect(
      feed.every((x) => x.quality === 'bad' && x.value === null && /^not available|^NaN/.test(x.qualityReason ?? '')),
    ).toBe(true);
    const main = r.filter((x) => x.meterId === 'line1-main');
    expect(main.length).toBeGreaterThan(0);
    expect(
      main.every((x) => (x.value === null) === (x.quality === 'bad') && (x.value === null || Number.isFinite(x.value))),
    ).toBe(true);
    await sim.clearFaults();
    expectTruth(await collector.pollOnce());
  });

  it('a counter reset reads as the reset value, good', async () => {
    const before = (await collector.pollOnce()).find((x) => x.meterId === 'line1-press' && x.point === 'energyImport');
    await sim.injectFault('line1-press', { type: 'counterReset' });
    clock.advance(60_000);
    const r = await collector.pollOnce();
    const after = r.find((x) => x.meterId === 'line1-press' && x.point === 'energyImport');
    expect(after!.value!).toBeLessThan(before!.value!);
    expectTruth(r);
  });
});
