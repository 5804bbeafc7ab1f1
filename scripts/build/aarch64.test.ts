import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  clockFromEnv,
  readDataFile,
  SIM_CLOCK_ENV,
  silentLogger,
  simClockEnvValue,
  openSignedBatch,
  validateRollupBatch,
  type LineRollup,
  type MeterCounterRollup,
  type Reading,
} from '@pcf-edge/core';
import { createMeterSimulator, validateScenario, type MeterSimulator, type Scenario } from '@pcf-edge/meter-simulators';
import { getProfile } from '@pcf-edge/profiles';
import { openStore } from '@pcf-edge/store';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import { createStreamManagerServer, type StreamManagerServer } from '@pcf-edge/stream-manager-sim';
import { readingsIn } from '../../test-support/standalone/store';
import { runProcess, until, type RunningProcess } from '../../test-support/standalone/processes';
import { buildComponents, type BuiltComponent } from '../build-components';
import { deriveStackConfigs } from '../stack/configs';
import { checkElf } from './elf';
import { NODE_RUNTIME_COMPONENT } from './node-runtime';
import { nodeRuntimePin } from './runtime';

jest.setTimeout(900_000);

/**
 * The aarch64 artifacts, built on this amd64 machine, run under qemu-user with the arm64 node of the runtime zip:
 * the Modbus collector reads the meter simulator, the line aggregator rolls its readings up, the stream exporter
 * delivers the rollups to the local Stream Manager. Every process shares the simulator's timeline
 * (PCF_EDGE_SIM_CLOCK, FACTOR × wall time), so readings carry simulated times the ground truth can be asked about.
 *
 * Ground truth: a counter register read at wall time w holds the truth at some simulated time in
 * [readTs − LATENCY, readTs] (the simulator computes it when the request arrives, the collector stamps readTs when
 * the answer arrives). So every reading lies between truth(readTs − LATENCY) and truth(readTs). A window edge E
 * then lies between the last reading at or before E and the first reading at or after E + LATENCY, and so does
 * the aggregator's interpolated value: the sum of the complete windows of a counter equals the truth over the same
 * span within the two edges' bracket widths (computed from the readings, not guessed).
 */
const ROOT = resolve(__dirname, '..', '..');
const DEMO = join(ROOT, 'simulators/scenarios/demo-factory.yaml');
const QEMU = ['-L', '/usr/aarch64-linux-gnu'];
const FACTOR = 6;
/** Upper bound of one Modbus round trip under qemu on a busy machine, in simulated ms (1.5 s of wall time). */
const LATENCY = 1_500 * FACTOR;
const MIN = 60_000;
const WINDOWS = 4;

let tmp: string;
let built: BuiltComponent[];
/** Component dir → its unarchived aarch64 zip. */
const unzipped: Record<string, string> = {};
let node: string;
const running: RunningProcess[] = [];

function demoScenario(): Scenario {
  const raw = readDataFile(DEMO) as Scenario & { opcua?: unknown };
  for (const d of raw.modbus.devices) d.port = 0;
  delete raw.opcua; // the Modbus collector is what runs here
  raw.faults = [];
  return structuredClone(validateScenario(raw, 'demo-factory (aarch64 test)')) as Scenario;
}

/** Runs an unzipped aarch64 component's main.js under qemu with the arm64 node, in its own work folder. */
function qemuComponent(dir: string, args: string[], env: Record<string, string>): RunningProcess {
  const work = join(tmp, 'work', dir);
  mkdirSync(work, { recursive: true });
  const p = runProcess('qemu-aarch64', [...QEMU, node, join(unzipped[dir]!, 'main.js'), ...args], work, env);
  running.push(p);
  return p;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pcf-edge-aarch64-'));
  built = await buildComponents(join(tmp, 'build'), ['aarch64']);
  for (const b of built) {
    const zip = b.zips[0]!.zip;
    const to = join(tmp, 'artifacts', basename(zip, '.zip'));
    mkdirSync(to, { recursive: true });
    execFileSync('unzip', ['-q', zip, '-d', to]);
    if (b.componentName === NODE_RUNTIME_COMPONENT) node = join(to, 'bin', 'node');
    else unzipped[basename(zip, '-aarch64.zip')] = to;
  }
});

afterAll(() => {
  for (const p of running) p.kill();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the aarch64 build', () => {
  it('holds only aarch64 native code: every *.node and the runtime node are aarch64 ELF objects', () => {
    expect(built.every((b) => b.architectures.join() === 'aarch64' && b.zips.length === 1)).toBe(true);
    const check = join(tmp, 'elf-check');
    for (const b of built) {
      const zip = b.zips[0]!.zip;
      const native = execFileSync('unzip', ['-Z1', zip])
        .toString()
        .trim()
        .split('\n')
        .filter((e) => e.endsWith('.node') || e === 'bin/node');
      expect([basename(zip), native.length]).toEqual([
        basename(zip),
        // the runtime: node; the Modbus collector: SQLite and the serial port addon (ADR 0225); others: SQLite
        b.componentName === NODE_RUNTIME_COMPONENT ? 1 : b.componentName === 'com.pcfedge.ModbusCollector' ? 3 : 2,
      ]);
      rmSync(check, { recursive: true, force: true });
      execFileSync('unzip', ['-q', zip, ...native, '-d', check]);
      for (const e of native) expect(() => checkElf(join(check, e), 'aarch64')).not.toThrow();
    }
  });

  it('the runtime node runs under qemu-user as arm64, at the pinned version', () => {
    const out = execFileSync('qemu-aarch64', [...QEMU, node, '-p', 'process.arch + " " + process.version']);
    expect(out.toString().trim()).toBe(`arm64 v${nodeRuntimePin().version}`);
  });
});

interface CounterPoint {
  meterId: string;
  point: string;
  quantity: string;
  line: string;
  role: string;
  type: string;
  scale: number;
}

/** The Modbus counter points of the scenario, in profile order, with their meter's line and role. */
function counterPoints(scenario: Scenario): CounterPoint[] {
  return scenario.modbus.devices.flatMap((d) =>
    d.meters.flatMap((m) =>
      getProfile(m.profile)
        .points.filter((p) => p.kind === 'counter')
        .map((p) => ({
          meterId: m.id,
          point: p.name,
          quantity: p.quantity,
          line: m.line ?? 'site',
          role: m.role,
          type: p.type,
          scale: p.scale,
        })),
    ),
  );
}

/** What a decoded register may differ from the truth by: a float's rounding, else one register step. */
function resolution(p: CounterPoint, v: number): number {
  if (p.type === 'float32') return Math.abs(v) * 2 ** -24;
  if (p.type === 'float64') return Math.abs(v) * 2 ** -53;
  return Math.abs(p.scale);
}

describe('aarch64 components under qemu-user', () => {
  let sim: MeterSimulator;
  let sm: StreamManagerServer;

  afterAll(async () => {
    await sim?.stop();
    await sm?.stop();
  });

  it('collector → aggregator → exporter → Stream Manager; rollups match the simulator’s ground truth', async () => {
    const scenario = demoScenario();
    const T0 = Date.parse(scenario.startTime) + 2 * 3_600_000; // both lines producing
    const env = { [SIM_CLOCK_ENV]: simClockEnvValue(T0, FACTOR) };
    sim = createMeterSimulator(scenario, { clock: clockFromEnv(env), log: silentLogger() });
    await sim.start();
    sm = createStreamManagerServer({ port: 0, dir: join(tmp, 'stream-manager') }, { log: silentLogger() });
    const { port } = await sm.start();
    const cfg = deriveStackConfigs(scenario, {
      gatewayId: 'gw-arm',
      gatewayKeyFile: join(tmp, 'gateway-signing-key.json'),
      pkiDir: join(tmp, 'pki'),
      streamManagerPort: port,
      kinesisStreamName: 'unused',
      pollIntervalMs: 250,
      modbusPorts: sim.ports.modbus,
    });
    const write = (name: string, v: unknown): string => {
      const file = join(tmp, name);
      writeFileSync(file, JSON.stringify(v));
      return file;
    };
    const store = join(tmp, 'gateway.sqlite');
    // the aggregator learns the meters from the collector's site-model claims (ADR 0220)
    const aggregatorConfig = write('aggregator.json', {
      ...cfg.aggregator,
      windows: ['1m'],
      closeLagMs: 0,
    });
    const streamName = cfg.exporter.streamName as string;

    // 1. The collector polls until its readings span WINDOWS complete minutes after the first one.
    const collector = qemuComponent(
      'modbus-collector',
      ['--config', write('modbus.json', cfg.modbus), '--store', store],
      env,
    );
    const firstTs = await until(
      'the first good reading',
      () => readingsIn(store).find((r) => r.quality === 'good')?.readTs,
      300_000,
      collector.stderr,
    );
    const w0 = Math.ceil(firstTs / MIN) * MIN;
    const w1 = w0 + WINDOWS * MIN;
    await until(
      'readings past the last window',
      () => sim.now() > w1 + 2 * LATENCY + 10_000,
      600_000,
      collector.stderr,
    );
    collector.child.kill('SIGTERM');
    expect(await collector.exited(120_000)).toBe(0);

    // 2. The aggregator applies every reading; 3. the exporter drains the outbox into the local Stream Manager.
    const aggregator = qemuComponent(
      'line-aggregator',
      ['--config', aggregatorConfig, '--store', store, '--once'],
      env,
    );
    expect([await aggregator.exited(300_000), aggregator.stderr().slice(-2000)]).toEqual([
      0,
      aggregator.stderr().slice(-2000),
    ]);
    const exporter = qemuComponent(
      'stream-exporter',
      ['--config', write('exporter.json', cfg.exporter), '--store', store],
      env,
    );
    const pending = (): number => {
      const s = openStore(store, { readonly: true });
      try {
        return s.pendingOutbox(100_000).length;
      } finally {
        s.close();
      }
    };
    await until('outbox drained', () => pending() === 0, 300_000, exporter.stderr);
    exporter.child.kill('SIGTERM');
    expect(await exporter.exited(120_000)).toBe(0);

    const s = openStore(store, { readonly: true });
    const readings = readingsIn(store).filter((r) => r.quality === 'good' && r.kind === 'counter');
    const meterRollups = s
      .listRollups({ type: 'meterCounter', windowMs: MIN, fromMs: w0, toMs: w1 - 1 })
      .map((x) => x.rollup as MeterCounterRollup);
    const lineRollups = s
      .listRollups({ type: 'line', windowMs: MIN, fromMs: w0, toMs: w1 - 1 })
      .map((x) => x.rollup as LineRollup);
    const allIds = new Set(s.listRollups({ type: 'meterCounter', windowMs: MIN }).map((x) => x.rollup.id));
    s.close();

    // Delivered: every rollup the aggregator wrote is in the Stream Manager stream, in rollup-batch documents.
    const client = createStreamManagerClient({ port, env: {} });
    try {
      const messages = await client.readMessages(streamName, {
        desiredStartSequenceNumber: 0n,
        maxMessageCount: 100_000,
      });
      const delivered = new Set(
        messages.flatMap((m) => {
          // the exporter signs every batch (ADR 0193): the message is a JWS whose payload is the batch
          const opened = openSignedBatch(JSON.parse(m.payload.toString()));
          if (opened.signed !== true) throw new Error(`an unsigned or malformed batch was delivered`);
          return validateRollupBatch(JSON.parse(opened.payload.toString())).rollups.map((r) => r.id);
        }),
      );
      for (const id of allIds) expect(delivered.has(id)).toBe(true);
      expect(allIds.size).toBeGreaterThan(0);
    } finally {
      client.close();
    }

    const points = counterPoints(scenario);
    const truthOf = (p: CounterPoint, ts: number): number => sim.truth.at(ts).meters[p.meterId]!.points[p.point]!;
    const readingsOf = (p: CounterPoint): Reading[] =>
      readings.filter((r) => r.meterId === p.meterId && r.point === p.point).sort((a, b) => a.readTs - b.readTs);

    // Every reading is the truth of some moment in [readTs − LATENCY, readTs].
    for (const p of points) {
      const rs = readingsOf(p);
      expect(rs.length).toBeGreaterThan(WINDOWS * 10);
      for (const r of rs) {
        const v = r.value as number;
        const res = resolution(p, v);
        expect({
          p: `${p.meterId}/${p.point}`,
          at: r.readTs,
          ok: truthOf(p, r.readTs - LATENCY) - res <= v && v <= truthOf(p, r.readTs) + res,
        }).toEqual({ p: `${p.meterId}/${p.point}`, at: r.readTs, ok: true });
      }
    }

    /** [low, high] readings of `p` around edge E: the last at or before E, the first at or after E + LATENCY. */
    const bracket = (p: CounterPoint, e: number): number => {
      const rs = readingsOf(p);
      const lo = rs.filter((r) => r.readTs <= e).at(-1);
      const hi = rs.find((r) => r.readTs >= e + LATENCY);
      if (!lo || !hi) throw new Error(`no readings of ${p.meterId}/${p.point} around ${new Date(e).toISOString()}`);
      return (hi.value as number) - (lo.value as number) + 2 * resolution(p, hi.value as number);
    };
    const report: string[] = [];
    const compare = (what: string, got: number, truth: number, bound: number): void => {
      report.push(
        `${what}: got ${got}, truth ${truth}, |diff| ${Math.abs(got - truth).toExponential(2)} <= ${bound.toExponential(2)}`,
      );
      expect({ what, within: Math.abs(got - truth) <= bound }).toEqual({ what, within: true });
    };

    // Each counter point over the complete windows [w0, w1): one rollup per window, the sum within the edge brackets.
    for (const p of points) {
      const mine = meterRollups.filter((r) => r.meterId === p.meterId && r.point === p.point);
      expect({ point: `${p.meterId}/${p.point}`, windows: mine.length }).toEqual({
        point: `${p.meterId}/${p.point}`,
        windows: WINDOWS,
      });
      compare(
        `${p.meterId}/${p.point}`,
        mine.reduce((t, r) => t + r.delta, 0),
        truthOf(p, w1) - truthOf(p, w0),
        bracket(p, w0) + bracket(p, w1),
      );
    }
    // Each line's electricity and gas: its lineTotal meters (the first register of a quantity per meter counts once).
    for (const line of ['line-1', 'line-2']) {
      const windows = lineRollups.filter((r) => r.line === line);
      expect(windows.map((w) => Date.parse(w.windowStart))).toEqual(
        Array.from({ length: WINDOWS }, (_, i) => w0 + i * MIN),
      );
      for (const [quantity, field] of [
        ['activeEnergyImport', 'electricityKWh'],
        ['gasVolume', 'gasM3'],
      ] as const) {
        const counted = new Set<string>();
        const ofLine = points.filter((p) => {
          const key = `${p.meterId}/${p.quantity}`;
          if (p.line !== line || p.role !== 'lineTotal' || p.quantity !== quantity || counted.has(key)) return false;
          counted.add(key);
          return true;
        });
        if (ofLine.length === 0) continue;
        const truth = ofLine.reduce((t, p) => t + truthOf(p, w1) - truthOf(p, w0), 0);
        const bound = ofLine.reduce((t, p) => t + bracket(p, w0) + bracket(p, w1), 0);
        compare(
          `${line} ${field}`,
          windows.reduce((t, w) => t + w[field], 0),
          truth,
          bound,
        );
      }
    }
    expect(report.length).toBeGreaterThan(points.length);
    if (process.env.AARCH64_REPORT) console.log(report.join('\n'));
  });
});
