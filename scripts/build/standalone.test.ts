import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ManualClock, readDataFile, silentLogger, type Reading } from '@pcf-edge/core';
import {
  createMeterSimulator,
  opcuaPoints,
  validateScenario,
  type MeterSimulator,
  type Scenario,
} from '@pcf-edge/meter-simulators';
import { openStore } from '@pcf-edge/store';
import { createStreamManagerServer, type StreamManagerServer } from '@pcf-edge/stream-manager-sim';
import { createIpcTestServer } from '../../test-support/greengrass-ipc-server/server';
import { openPtyPair } from '../../test-support/pty-pair';
import { rtuDemoScenario } from '../../test-support/rtu-scenario';
import { lifecycleStep, runStep, type Nucleus, type RecipeDoc } from '../../test-support/greengrass-lifecycle/nucleus';
import { readingsIn } from '../../test-support/standalone/store';
import { runNode, runProcess, until, type RunningProcess } from '../../test-support/standalone/processes';
import { buildComponents, type BuiltComponent } from '../build-components';
import type { RecipeArch } from './components';
import { checkElf } from './elf';
import { NODE_RUNTIME_COMPONENT } from './node-runtime';
import { nodeRuntimePin } from './runtime';

jest.mock('hexy', () => jest.requireActual('../../components/opcua-collector/test/support/hexy-mock').hexyMock);
// The first build compiles SQLite for both architectures (minutes on a busy machine; cached afterwards).
jest.setTimeout(900_000);

/**
 * Builds the runtime and the four components once for amd64 and aarch64, unzips the amd64 zips outside the
 * repository in the layout of a Greengrass root (`<root>/packages/artifacts-unarchived/<name>/<version>/<zip>/`, no
 * repository node_modules reachable) and runs each with the node of com.pcfedge.NodeRuntime against the
 * simulators: Modbus and OPC UA meters, the local Stream Manager, SQLite stores in temp folders.
 */
const ROOT = resolve(__dirname, '..', '..');
const DEMO = join(ROOT, 'simulators/scenarios/demo-factory.yaml');

let tmp: string;
/** The Greengrass root the zips are unarchived under. */
let ggRoot: string;
let built: BuiltComponent[];
/** Component dir (e.g. line-aggregator) → its unarchived amd64 zip. */
const unzipped: Record<string, string> = {};
/** bin/node of the unarchived amd64 runtime zip: what every component runs with here. */
let runtimeNode: string;
let sim: MeterSimulator;
const running: RunningProcess[] = [];

function demoScenario(): Scenario {
  const raw = readDataFile(DEMO) as Scenario & { opcua?: { port: number } };
  for (const d of raw.modbus.devices) d.port = 0;
  if (raw.opcua) raw.opcua.port = 0;
  raw.faults = [];
  return structuredClone(validateScenario(raw, 'demo-factory (standalone test)')) as Scenario;
}

/** Starts `node main.js <args>` of an unzipped component, in its own work folder (as `{work:path}`). */
function start(dir: string, args: string[], env: Record<string, string> = {}): RunningProcess {
  const work = join(tmp, 'work', dir);
  mkdirSync(work, { recursive: true });
  const p = runNode([join(unzipped[dir]!, 'main.js'), ...args], work, env, runtimeNode);
  running.push(p);
  return p;
}

function writeJson(name: string, value: unknown): string {
  const file = join(tmp, name);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/** What plain `node` started in `dir` resolves `pkg` to (or the error code). */
function resolveFrom(dir: string, pkg: string): string {
  const script = `try { process.stdout.write(require.resolve(${JSON.stringify(pkg)})) } catch (e) { process.stdout.write(e.code) }`;
  return execFileSync(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '' } }).toString();
}

const zipOf = (b: BuiltComponent, arch: RecipeArch): string => {
  const z = b.zips.find((x) => x.arch === arch);
  if (!z) throw new Error(`${b.componentName} has no ${arch} zip`);
  return z.zip;
};
const unarchivedDir = (b: BuiltComponent): string =>
  join(ggRoot, 'packages', 'artifacts-unarchived', b.componentName, b.version);

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pcf-edge-standalone-'));
  ggRoot = join(tmp, 'greengrass', 'v2');
  built = await buildComponents(join(tmp, 'build'));
  for (const b of built) {
    const zip = zipOf(b, 'amd64');
    const to = join(unarchivedDir(b), basename(zip, '.zip'));
    mkdirSync(to, { recursive: true });
    execFileSync('unzip', ['-q', zip, '-d', to]);
    if (b.componentName === NODE_RUNTIME_COMPONENT) runtimeNode = join(to, 'bin', 'node');
    else unzipped[basename(zip, '-amd64.zip')] = to;
  }
  sim = createMeterSimulator(demoScenario(), {
    clock: new ManualClock(Date.parse('2026-11-02T13:05:00Z')),
    log: silentLogger(),
  });
  await sim.start();
});

afterAll(async () => {
  for (const p of running) p.kill();
  await sim?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the build', () => {
  it('writes the runtime and four components, a zip per architecture each, and recipes listing both', () => {
    expect(built.map((b) => b.componentName)).toEqual([
      NODE_RUNTIME_COMPONENT,
      'com.pcfedge.ModbusCollector',
      'com.pcfedge.OpcUaCollector',
      'com.pcfedge.LineAggregator',
      'com.pcfedge.StreamExporter',
    ]);
    expect(built[0]!.version).toBe(nodeRuntimePin().version);
    for (const b of built) {
      expect(b.architectures).toEqual(['amd64', 'aarch64']);
      for (const { zip } of b.zips)
        expect(zip).toBe(join(tmp, 'build', 'artifacts', b.componentName, b.version, basename(zip)));
      expect(b.recipe).toBe(join(tmp, 'build', 'recipes', `${b.componentName}-${b.version}.yaml`));
      const recipe = parse(readFileSync(b.recipe, 'utf8')) as {
        ComponentVersion: string;
        Manifests: { Platform: { architecture: RecipeArch }; Artifacts: { Uri: string }[] }[];
      };
      expect(recipe.ComponentVersion).toBe(b.version);
      expect(recipe.Manifests.map((m) => m.Platform.architecture)).toEqual(['amd64', 'aarch64']);
      for (const m of recipe.Manifests)
        expect(m.Artifacts.map((a) => a.Uri)).toEqual([
          `s3://BUCKET_NAME/${b.componentName}/${b.version}/${basename(zipOf(b, m.Platform.architecture))}`,
        ]);
      expect(readFileSync(join(b.gdkProject, 'recipe.yaml'), 'utf8')).toBe(readFileSync(b.recipe, 'utf8'));
    }
  });

  it("each zip's native code (node, *.node addons) is for its own architecture only", () => {
    const check = join(tmp, 'elf-check');
    for (const b of built) {
      for (const { arch, zip } of b.zips) {
        const entries = execFileSync('unzip', ['-Z1', zip]).toString().trim().split('\n');
        const native = entries.filter((e) => e.endsWith('.node') || e === 'bin/node');
        expect([basename(zip), native.length > 0]).toEqual([basename(zip), true]);
        rmSync(check, { recursive: true, force: true });
        execFileSync('unzip', ['-q', zip, ...native, '-d', check]);
        for (const e of native) expect(() => checkElf(join(check, e), arch)).not.toThrow();
      }
    }
  });

  it('the runtime zip carries the pinned Node.js, executable', () => {
    expect(statSync(runtimeNode).mode & 0o111).toBe(0o111);
    expect(execFileSync(runtimeNode, ['-v']).toString().trim()).toBe(`v${nodeRuntimePin().version}`);
  });

  it('unzips outside the repository, where no repository package can be resolved', () => {
    for (const dir of Object.values(unzipped)) {
      expect(dir.startsWith(ROOT)).toBe(false);
      expect(resolveFrom(ROOT, 'yaml')).toContain(ROOT);
      expect(resolveFrom(dir, 'yaml')).toBe('MODULE_NOT_FOUND');
      expect(resolveFrom(dir, 'better-sqlite3')).toBe(join(dir, 'node_modules/better-sqlite3/lib/index.js'));
    }
  });
});

describe('modbus-collector zip', () => {
  const config = (): string =>
    writeJson('modbus.json', {
      site: 'plant-1',
      devices: Object.entries(sim.ports.modbus).map(([id, port]) => ({
        id,
        host: '127.0.0.1',
        port,
        timeoutMs: 2000,
        connectTimeoutMs: 2000,
      })),
      meters: [
        {
          id: 'line1-main',
          line: 'line-1',
          device: 'panel-a',
          unitId: 1,
          profile: 'schneider-pm5xxx',
          pollIntervalMs: 200,
        },
      ],
    });

  it('--dry-run --json reads the simulated meter and exits 0', async () => {
    const p = start('modbus-collector', ['--config', config(), '--dry-run', '--json']);
    expect(await p.exited()).toBe(0);
    const report = JSON.parse(p.stdout()) as {
      meters: { id: string; readings: { quantity: string; quality: string; value: number | null }[] }[];
    };
    const energy = report.meters[0]!.readings.find((r) => r.quantity === 'activeEnergyImport');
    expect(energy).toEqual(expect.objectContaining({ quality: 'good', value: expect.any(Number) }));
  });

  it('--dry-run reads a meter on a Modbus RTU bus: the serial port addon travels in the zip', async () => {
    const pty = await openPtyPair();
    const rtu = createMeterSimulator(rtuDemoScenario({ transport: 'rtu', path: pty.b, baudRate: 38400 }), {
      clock: new ManualClock(Date.parse('2026-11-02T13:05:00Z')),
      log: silentLogger(),
    });
    await rtu.start();
    try {
      const file = writeJson('modbus-rtu.json', {
        site: 'plant-1',
        devices: [
          {
            id: 'bus-1',
            transport: 'rtu',
            serial: { path: pty.a, baudRate: 38400, parity: 'even', stopBits: 1 },
            timeoutMs: 1000,
          },
        ],
        meters: [{ id: 'line1-main', line: 'line-1', device: 'bus-1', unitId: 1, profile: 'schneider-pm5xxx' }],
      });
      const p = start('modbus-collector', ['--config', file, '--dry-run', '--json']);
      expect(await p.exited()).toBe(0);
      const report = JSON.parse(p.stdout()) as {
        meters: { id: string; readings: { quantity: string; quality: string; value: number | null }[] }[];
      };
      const energy = report.meters[0]!.readings.find((r) => r.quantity === 'activeEnergyImport');
      expect(energy).toEqual(expect.objectContaining({ quality: 'good', value: expect.any(Number) }));
    } finally {
      await rtu.stop();
      await pty.close();
    }
  });

  it('polls into the store and exits 0 on SIGTERM', async () => {
    const store = join(tmp, 'modbus.sqlite');
    const p = start('modbus-collector', ['--config', config(), '--store', store]);
    await until(
      'modbus readings in the store',
      () => readingsIn(store).some((r) => r.meterId === 'line1-main' && r.quality === 'good'),
      60_000,
      p.stderr,
    );
    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
  });
});

describe('opcua-collector zip', () => {
  it('subscribes to the simulated OPC UA meter into the store and exits 0 on SIGTERM', async () => {
    const uri = sim.opcua?.namespaceUri as string;
    const config = writeJson('opcua.json', {
      site: 'plant-1',
      endpoints: [
        {
          id: 'sim',
          url: sim.opcua?.endpoint,
          pkiDir: './pki',
          requestTimeoutMs: 5000,
          retry: { initialDelayMs: 200, maxDelayMs: 2000 },
        },
      ],
      meters: [
        {
          id: 'line2-oven',
          line: 'line-2',
          endpoint: 'sim',
          points: opcuaPoints('electricity').map((p) => ({
            name: p.name,
            nodeId: `nsu=${uri};s=line2-oven.${p.name}`,
            quantity: p.quantity,
            scale: p.scale,
            samplingIntervalMs: 200,
          })),
        },
      ],
      batch: { maxBatch: 10, maxDelayMs: 100 },
    });
    const store = join(tmp, 'opcua.sqlite');
    const p = start('opcua-collector', ['--config', config, '--store', store]);
    const readings = await until(
      'opcua readings in the store',
      () => {
        // The simulator's clock is frozen: one initial value per subscribed point.
        const rs = readingsIn(store).filter((r) => r.meterId === 'line2-oven');
        return rs.length >= opcuaPoints('electricity').length && rs;
      },
      60_000,
      () => `${p.stderr()}\nreadings: ${JSON.stringify(readingsIn(store).slice(0, 5))}`,
    );
    expect(readings.every((r) => r.quality === 'good' && typeof r.value === 'number')).toBe(true);
    expect(readings.map((r) => r.quantity)).toContain('activeEnergyImport');
    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
  });

  it('runs the OT tools from the zip: browse the server, list the PKI folder the collector created', async () => {
    const run = async (...args: string[]): Promise<string> =>
      (
        await promisify(execFile)(process.execPath, [join(unzipped['opcua-collector']!, 'main.js'), ...args], {
          cwd: join(tmp, 'work', 'opcua-collector'),
          env: { PATH: process.env.PATH ?? '' },
        })
      ).stdout;
    const browse = await run('browse', '--endpoint', sim.opcua?.endpoint as string, '--path', 'Meters/line2-oven');
    expect(browse).toMatch(/\n {2}EnergyImportWh +Variable +UInt64 +\d+ +Good +nsu=/);
    const list = JSON.parse(await run('trust', '--pki-dir', './pki', '--list', '--json')) as {
      certificates: { store: string }[];
    };
    expect(list.certificates.map((c) => c.store)).toEqual(['own']);
  });
});

describe('line-aggregator and stream-exporter zips', () => {
  const T0 = Date.parse('2026-11-02T06:00:00Z');
  let store: string;

  beforeAll(() => {
    store = join(tmp, 'pipeline.sqlite');
    const s = openStore(store);
    // One lineTotal energy counter read every 10 s for 5 minutes: +0.1 kWh per reading.
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
  });

  it('aggregator --once turns the readings into rollups queued for export, and a running one exits 0 on SIGTERM', async () => {
    const config = writeJson('aggregator.json', {
      site: 'plant-1',
      gatewayId: 'gw-1',
      windows: ['1m'],
      closeLagMs: 0,
      meters: [{ id: 'm1', line: 'line-1', role: 'lineTotal' }],
    });
    const once = start('line-aggregator', ['--config', config, '--store', store, '--once']);
    expect(await once.exited()).toBe(0);
    const s = openStore(store, { readonly: true });
    const pending = s.pendingOutbox(1000).length;
    s.close();
    expect(pending).toBeGreaterThan(0);

    const p = start('line-aggregator', ['--config', config, '--store', store]);
    await until('aggregator started', () => p.stderr().includes('line aggregator started'), 60_000, p.stderr);
    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
  });

  it('exporter appends every queued rollup to the local Stream Manager, then exits 0 on SIGTERM', async () => {
    const sm: StreamManagerServer = createStreamManagerServer(
      { port: 0, dir: join(tmp, 'stream-manager') },
      { log: silentLogger() },
    );
    const { port } = await sm.start();
    try {
      const config = writeJson('exporter.json', {
        site: 'plant-1',
        gatewayId: 'gw-1',
        streamName: 'pcf-edge-rollups',
        pollIntervalMs: 100,
        streamManager: { port },
      });
      const p = start('stream-exporter', ['--config', config, '--store', store]);
      await until(
        'outbox drained',
        () => {
          const s = openStore(store, { readonly: true });
          try {
            return s.pendingOutbox(1000).length === 0;
          } finally {
            s.close();
          }
        },
        60_000,
        p.stderr,
      );
      p.child.kill('SIGTERM');
      expect(await p.exited()).toBe(0);
    } finally {
      await sm.stop();
    }
  });
  it('the gateway CLI in the aggregator zip reports the store status', async () => {
    const p = runNode(
      [join(unzipped['line-aggregator']!, 'pcf-edge.js'), 'status', '--json', '--store', store],
      tmp,
      {},
      runtimeNode,
    );
    running.push(p);
    expect(await p.exited()).toBe(0);
    const status = JSON.parse(p.stdout()) as { outbox: { depth: number }; aggregator: { behind: number } };
    expect(status.outbox.depth).toBe(0);
    expect(status.aggregator.behind).toBe(0);
  });
});

describe('a zip under Greengrass (IPC test server)', () => {
  it("line-aggregator runs through its recipe's Install and Run steps with the runtime's node: reads its configuration over IPC, reports RUNNING and exits 0 on SIGTERM", async () => {
    const server = createIpcTestServer({ tokens: { 'zip-token': 'com.pcfedge.LineAggregator' } });
    await server.start();
    try {
      const store = join(ggRoot, 'work', 'pcf-edge', 'gateway.sqlite');
      const configuration = {
        storePath: store,
        site: 'plant-1',
        gatewayId: 'gw-1',
        meters: [],
        lineRollupTopic: '',
      };
      server.setConfiguration('com.pcfedge.LineAggregator', configuration);
      const nucleus: Nucleus = { rootPath: ggRoot, thingName: 'gw-1', components: {} };
      for (const b of built.filter((x) =>
        [NODE_RUNTIME_COMPONENT, 'com.pcfedge.LineAggregator'].includes(x.componentName),
      )) {
        const work = join(ggRoot, 'work', b.componentName);
        mkdirSync(work, { recursive: true });
        const recipe = parse(readFileSync(b.recipe, 'utf8')) as RecipeDoc;
        nucleus.components[b.componentName] = {
          recipe,
          configuration: b.componentName === NODE_RUNTIME_COMPONENT ? { nodePath: '' } : configuration,
          artifactsPath: join(ggRoot, 'packages', 'artifacts', b.componentName, b.version),
          decompressedPath: unarchivedDir(b),
          workPath: work,
        };
      }
      const platform = { os: 'linux', architecture: 'amd64' };
      for (const name of [NODE_RUNTIME_COMPONENT, 'com.pcfedge.LineAggregator']) {
        const install = lifecycleStep(nucleus, name, 'Install', platform)!;
        const r = runStep(install, { cwd: ggRoot });
        expect([name, r.status, r.stderr]).toEqual([name, 0, '']);
      }
      expect(statSync(join(ggRoot, 'work', 'pcf-edge')).mode & 0o777).toBe(0o770);
      const run = lifecycleStep(nucleus, 'com.pcfedge.LineAggregator', 'Run', platform)!;
      const p = runProcess('sh', ['-c', run.script], ggRoot, { ...run.env, ...server.envFor('zip-token') });
      running.push(p);
      await until(
        'RUNNING',
        () => server.states.some((s) => s.component === 'com.pcfedge.LineAggregator' && s.state === 'RUNNING'),
        60_000,
        p.stderr,
      );
      expect(existsSync(store)).toBe(true);
      p.child.kill('SIGTERM');
      expect(await p.exited()).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
