import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SIM_CLOCK_ENV, simClockEnvValue } from '@pcf-edge/core';
import { loadScenario, type Scenario } from '@pcf-edge/meter-simulators';
import { STORE_FULL_FLAG_ENV } from '@pcf-edge/store';
import { cloudStore, type CloudStore } from '../stack/cloud-store';
import { deriveStackConfigs } from '../stack/configs';
import { provisionGatewayKey } from '../stack/gateway-key';
import { freePorts } from '../stack/ports';
import { Supervisor, type ProcessSpec, type Supervised } from '../stack/supervisor';
import { openTimeline, type Timeline } from '../stack/timeline';

/**
 * The whole local stack for a soak run, built from the same pieces as `npm start` (scripts/stack/*), with what
 * chaos needs on top: every process is started as `node --import tsx <entry>` (no tsx wrapper process, so SIGKILL
 * hits the process itself and /proc/<pid> is the process whose memory we sample), each can be killed and started
 * again by name with the same ports and data, and the simulator's control endpoint is on.
 */
export const ROOT = resolve(__dirname, '../..');
export const STREAM = 'pcf-edge-rollups';
/** Generous: a restart that times out may leave the process running, so a timeout fails the run (chaos.ts). */
const READY_TIMEOUT_MS = 180_000;

export interface SoakStack {
  dataDir: string;
  scenario: Scenario;
  site: string;
  lines: string[];
  timeline: Timeline;
  storeFile: string;
  /** The cloud-sink store: a SQLite file in the data folder, or a PostgreSQL schema of this run's own. */
  cloud: CloudStore;
  controlUrl: string;
  /** The file whose existence makes the gateway store full (shared/store size-cap.ts). */
  fullFlag: string;
  pollIntervalMs: number;
  names: string[];
  sup: Supervisor;
  current(name: string): Supervised | undefined;
  /** Starts a stopped process again (same ports, data, config); `simShiftMs` shifts its clock (clock jumps). */
  restart(name: string, simShiftMs?: number): Promise<void>;
  /** SIGKILL (or `signal`), and waits for the exit. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  stopAll(): Promise<void>;
  /** Exits nobody asked for: name and code. */
  unexpectedExits: { name: string; code: number | null; atMs: number }[];
}

export interface StackOptions {
  dataDir: string;
  scenarioFile: string;
  factor: number;
  log: (line: string) => void;
  /** The PostgreSQL schema of this run (when PCF_EDGE_DATABASE_URL is set): a fresh one, so runs never meet. */
  cloudSchema?: string;
}

function tsxSpec(name: string, entry: string, args: string[], extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return { name, command: process.execPath, args: ['--import', 'tsx', join(ROOT, entry), ...args], ...extra };
}

export async function startSoakStack(o: StackOptions): Promise<SoakStack> {
  mkdirSync(join(o.dataDir, 'config'), { recursive: true });
  const scenario = structuredClone(loadScenario(o.scenarioFile)) as Scenario;
  scenario.faults = []; // the soak's chaos driver injects every fault; scheduled ones would be unplanned noise
  const site = scenario.sites[0]?.id ?? 'site';
  const lines = (scenario.sites[0]?.lines ?? []).map((l) => l.id);
  const storeFile = join(o.dataDir, 'gateway.sqlite');
  const cloud = cloudStore(o.dataDir, o.cloudSchema);
  const fullFlag = join(o.dataDir, 'store-full.flag');
  const timeline = openTimeline(o.dataDir, Date.parse(scenario.startTime), o.factor);
  const [kinesisPort, smPort, opcuaPort, controlPort, ...modbusPorts] = (await freePorts(
    4 + scenario.modbus.devices.length,
  )) as [number, number, number, number, ...number[]];
  scenario.modbus.devices.forEach((d, i) => (d.port = modbusPorts[i] as number));
  if (scenario.opcua) scenario.opcua.port = opcuaPort;
  const scenarioFile = join(o.dataDir, 'config', 'scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(scenario, null, 2));
  const pollIntervalMs = Math.max(50, Math.round(15_000 / o.factor));
  const configs = deriveStackConfigs(scenario, {
    gatewayId: 'soak-gateway',
    gatewayKeyFile: join(o.dataDir, 'gateway-signing-key.json'),
    pkiDir: join(o.dataDir, 'pki'),
    streamManagerPort: smPort,
    kinesisStreamName: STREAM,
    pollIntervalMs,
    modbusPorts: Object.fromEntries(
      scenario.modbus.devices.flatMap((d) => (d.port === undefined ? [] : [[d.id, d.port]])),
    ),
    ...(scenario.opcua ? { opcuaEndpoint: `opc.tcp://127.0.0.1:${opcuaPort}` } : {}),
  });
  // The exporter retries quickly after an outage (default retry caps at 30 s real = 30 simulated minutes).
  const exporter = { ...configs.exporter, retry: { maxDelayMs: 2000 } };
  const write = (name: string, body: unknown): string => {
    const f = join(o.dataDir, 'config', `${name}.json`);
    writeFileSync(f, JSON.stringify(body, null, 2));
    return f;
  };
  const kinesisEndpoint = `http://127.0.0.1:${kinesisPort}`;
  // info: the collectors', aggregator's and exporter's 'started' lines are their ready signal (logs go to files).
  const simEnv = { [SIM_CLOCK_ENV]: timeline.envValue, LOG_LEVEL: 'info' };
  const gatewayEnv = { ...simEnv, [STORE_FULL_FLAG_ENV]: fullFlag };
  const component = (name: string, cfg: unknown): ProcessSpec =>
    tsxSpec(name, `components/${name}/src/main.ts`, ['--config', write(name, cfg), '--store', storeFile], {
      env: gatewayEnv,
      readyLine: /started/,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
  const specs: ProcessSpec[] = [
    tsxSpec(
      'kinesis',
      'scripts/stack/kinesis.ts',
      ['--port', String(kinesisPort), '--path', join(o.dataDir, 'kinesis'), '--stream', STREAM, '--shards', '2'],
      { readyLine: /ready at/ },
    ),
    tsxSpec(
      'stream-manager',
      'simulators/stream-manager/src/main.ts',
      ['--port', String(smPort), '--dir', join(o.dataDir, 'stream-manager'), '--kinesis-endpoint', kinesisEndpoint],
      { readyPort: smPort },
    ),
    tsxSpec(
      'simulator',
      'simulators/meters/src/main.ts',
      ['--scenario', scenarioFile, '--control-port', String(controlPort)],
      { env: simEnv, readyPort: controlPort, readyTimeoutMs: 120_000 },
    ),
    component('modbus-collector', configs.modbus),
    ...(configs.opcua ? [component('opcua-collector', configs.opcua)] : []),
    component('line-aggregator', configs.aggregator),
    component('stream-exporter', exporter),
    tsxSpec(
      'cloud-sink-consumer',
      'cloud-sink/src/main.ts',
      ['consume', '--stream', STREAM, '--endpoint', kinesisEndpoint, ...cloud.args, '--poll-interval-ms', '500'],
      { env: cloud.env },
    ),
  ];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const live = new Map<string, Supervised>();
  const expected = new Set<string>();
  const unexpectedExits: SoakStack['unexpectedExits'] = [];
  const started = Date.now();
  const sup = new Supervisor(join(o.dataDir, 'logs'), (name, code) => {
    if (expected.delete(name)) return;
    unexpectedExits.push({ name, code, atMs: Date.now() - started });
    o.log(`!! ${name} exited by itself (code ${code}); see ${sup.logFile(name)}`);
  });
  /** Processes being started: a second start of one of them would run two copies (see restart). */
  const starting = new Set<string>();
  const startOne = async (spec: ProcessSpec): Promise<void> => {
    live.set(spec.name, await sup.start(spec));
  };

  try {
    for (const spec of specs.slice(0, 3)) await startOne(spec);
    await cloudOnce(cloud, ['migrate'], sup.logFile('cloud-sink-migrate'));
    await cloudOnce(cloud, ['import-demo', '--no-rollups'], sup.logFile('cloud-sink-import'));
    await provisionGatewayKey({
      keyFile: join(o.dataDir, 'gateway-signing-key.json'),
      store: cloud.location,
      gatewayId: 'soak-gateway',
      site: configs.exporter.site as string,
    });
    for (const spec of specs.slice(3)) await startOne(spec);
  } catch (err) {
    for (const n of live.keys()) expected.add(n);
    await sup.stopAll();
    throw err;
  }

  const stack: SoakStack = {
    dataDir: o.dataDir,
    scenario,
    site,
    lines,
    timeline,
    storeFile,
    cloud,
    fullFlag,
    pollIntervalMs,
    sup,
    unexpectedExits,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    names: specs.map((s) => s.name),
    current: (name) => live.get(name),
    async kill(name, signal = 'SIGKILL') {
      const p = live.get(name);
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
      expected.add(name);
      p.child.kill(signal);
      await p.exited;
    },
    async restart(name, simShiftMs = 0) {
      const spec = byName.get(name);
      if (!spec) throw new Error(`no process '${name}' in the soak stack`);
      const p = live.get(name);
      if (starting.has(name) || (p && p.child.exitCode === null && p.child.signalCode === null))
        throw new Error(`${name} is still running or starting`);
      const env =
        simShiftMs === 0 || !spec.env ? spec.env : { ...spec.env, [SIM_CLOCK_ENV]: shifted(timeline, simShiftMs) };
      starting.add(name);
      try {
        await startOne({ ...spec, ...(env ? { env } : {}) });
      } finally {
        starting.delete(name);
      }
    },
    async stopAll() {
      for (const n of live.keys()) expected.add(n);
      await sup.stopAll();
    },
  };
  return stack;
}

/** The stack's PCF_EDGE_SIM_CLOCK value with simulated time moved by `shiftMs`. */
function shifted(t: Timeline, shiftMs: number): string {
  const [simStart, wallStart, factor] = t.envValue.split(',').map(Number) as [number, number, number];
  return simClockEnvValue(simStart + shiftMs, factor, wallStart);
}

/**
 * A one-shot `cloud-sink` command on the run's store: `migrate` (as npm start does), then `import-demo --no-rollups`
 * (the demo reference data: the consumer needs none; PCFs would).
 */
function cloudOnce(cloud: CloudStore, command: string[], logFile: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'cloud-sink/src/main.ts'), ...command, ...cloud.args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...cloud.env } },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      writeFileSync(logFile, out, { flag: 'a' });
      if (code === 0) resolvePromise();
      else reject(new Error(`cloud-sink ${command[0]} failed (exit ${code}):\n${out.trim()}`));
    });
  });
}
