import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SIM_CLOCK_ENV, windowStartOf } from '@pcf-edge/core';
import { loadScenario, type Scenario } from '@pcf-edge/meter-simulators';
import { PcfService, loadSnapshot, type CloudSinkRepository } from '@pcf-edge/cloud-sink';
import { localConfig, startServer, type RunningServer } from '../cloud-sink/src/api/serve';
import { createLogger } from '@pcf-edge/core';
import pino from 'pino';
import { openRepository } from '../cloud-sink/src/store/open';
import { cloudStore, resetCloudStore, type CloudStore } from './stack/cloud-store';
import { deriveStackConfigs } from './stack/configs';
import { provisionGatewayKey } from './stack/gateway-key';
import { freePorts, isPortFree } from './stack/ports';
import { lineFigures, newestWindowEnd, productFigures, renderSummary, type ProductFigures } from './stack/summary';
import { Supervisor } from './stack/supervisor';
import { openTimeline, type Timeline } from './stack/timeline';

const HELP = `Usage: npm start -- [options]

Runs the whole pcf-edge factory on this machine: meter simulators (demo scenario, time accelerated), the Modbus
and OPC UA collectors, the line aggregator, the stream exporter, a local Stream Manager, a local Kinesis, the
cloud-sink consumer with the demo reference data, PCF computation, the PACT API and the dashboard. It prints the
dashboard URL and a live summary; Ctrl-C stops every process. Logs: <data>/logs/<process>.log.

The cloud store is <data>/cloud-sink.sqlite, or PostgreSQL when PCF_EDGE_DATABASE_URL is set (schema
PCF_EDGE_DATABASE_SCHEMA, default public); its migrations run at start (cloud-sink migrate).

Options:
  --data <dir>          data folder (default .pcf-edge); a second start continues the simulated timeline
  --fresh               delete the data folder first (and the cloud-sink tables of a PostgreSQL store)
  --scenario <file>     simulator scenario (default simulators/scenarios/demo-factory.yaml)
  --time-factor <n>     simulated seconds per real second (default 60)
  --port <n>            dashboard and API port (default 8080; 0 picks a free one)
  --duration-sec <n>    stop by itself after n seconds; exit 1 unless PCF values were computed (smoke tests)
  --help                this text`;

const STREAM = 'pcf-edge-rollups';
const ROOT = resolve(__dirname, '..');

interface Options {
  dataDir: string;
  fresh: boolean;
  scenarioFile: string;
  factor: number;
  port: number;
  durationSec: number | null;
}

function usage(message: string): never {
  process.stderr.write(`error: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

function options(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        data: { type: 'string', default: '.pcf-edge' },
        fresh: { type: 'boolean', default: false },
        scenario: { type: 'string', default: join(ROOT, 'simulators/scenarios/demo-factory.yaml') },
        'time-factor': { type: 'string', default: '60' },
        port: { type: 'string', default: '8080' },
        'duration-sec': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const factor = Number(values['time-factor']);
  if (!(factor > 0 && factor <= 3600))
    usage(`--time-factor must be a number in (0, 3600], got ${values['time-factor']}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port must be 0..65535, got ${values.port}`);
  const duration = values['duration-sec'] === undefined ? null : Number(values['duration-sec']);
  if (duration !== null && !(duration > 0))
    usage(`--duration-sec must be a positive number, got ${values['duration-sec']}`);
  return {
    dataDir: resolve(values.data),
    fresh: values.fresh,
    scenarioFile: resolve(values.scenario),
    factor,
    port,
    durationSec: duration,
  };
}

function step(n: number, total: number, text: string): void {
  process.stdout.write(`[${n}/${total}] ${text}\n`);
}

/** The store's latest reference version (0: nothing imported yet). */
async function referenceVersion(cloud: CloudStore): Promise<number> {
  const repo = await openRepository(cloud.location);
  try {
    return await repo.latestReferenceVersion();
  } finally {
    await repo.close();
  }
}

/** Runs a one-shot cloud-sink command to completion; throws with its output when it fails. */
function runOnce(args: string[], logFile: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(ROOT, 'cloud-sink/src/main.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => {
      writeFileSync(logFile, output, { flag: 'a' });
      if (code === 0) resolvePromise();
      else reject(new Error(`cloud-sink ${args[0]} failed (exit ${code}):\n${output.trim()}`));
    });
  });
}

async function main(): Promise<void> {
  const o = options();
  const cloud = cloudStore(o.dataDir);
  if (o.fresh) {
    rmSync(o.dataDir, { recursive: true, force: true });
    await resetCloudStore(cloud);
  }
  mkdirSync(join(o.dataDir, 'config'), { recursive: true });
  const scenario: Scenario = structuredClone(loadScenario(o.scenarioFile)) as Scenario;
  const site = scenario.sites[0]?.id ?? 'site';
  const lines = (scenario.sites[0]?.lines ?? []).map((l) => l.id);
  const store = join(o.dataDir, 'gateway.sqlite');
  if (o.port !== 0 && !(await isPortFree(o.port)))
    usage(`port ${o.port} is in use: pass --port <n> (0 picks a free one)`);

  const timeline: Timeline = openTimeline(o.dataDir, Date.parse(scenario.startTime), o.factor);
  const env = { [SIM_CLOCK_ENV]: timeline.envValue, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
  const total = 9;
  let failed: string | null = null;
  const sup = new Supervisor(join(o.dataDir, 'logs'), (name, code) => {
    failed = `${name} exited unexpectedly (code ${code}); see ${sup.logFile(name)}`;
    process.stderr.write(`\n${failed}\n`);
  });

  const [kinesisPort, smPort, opcuaPort, ...modbusPorts] = (await freePorts(3 + scenario.modbus.devices.length)) as [
    number,
    number,
    number,
    ...number[],
  ];
  scenario.modbus.devices.forEach((d, i) => (d.port = modbusPorts[i] as number));
  if (scenario.opcua) scenario.opcua.port = opcuaPort;
  const scenarioFile = join(o.dataDir, 'config', 'scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(scenario, null, 2));

  let server: RunningServer | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping every process…\n');
    timeline.save();
    await server?.stop().catch(() => undefined);
    await sup.stopAll();
    process.stdout.write(`stopped. Data and logs are in ${o.dataDir}\n`);
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    step(1, total, `local Kinesis (stream ${STREAM})`);
    const kinesisEndpoint = `http://127.0.0.1:${kinesisPort}`;
    await sup.start({
      name: 'kinesis',
      args: [
        join(ROOT, 'scripts/stack/kinesis.ts'),
        '--port',
        String(kinesisPort),
        '--path',
        join(o.dataDir, 'kinesis'),
        '--stream',
        STREAM,
        '--shards',
        '2',
      ],
      readyLine: /ready at/,
    });
    step(2, total, 'local Stream Manager');
    await sup.start({
      name: 'stream-manager',
      args: [
        join(ROOT, 'simulators/stream-manager/src/main.ts'),
        '--port',
        String(smPort),
        '--dir',
        join(o.dataDir, 'stream-manager'),
        '--kinesis-endpoint',
        kinesisEndpoint,
      ],
      readyPort: smPort,
    });
    step(
      3,
      total,
      `meter simulators (${scenario.modbus.devices.length} Modbus devices${scenario.opcua ? ', OPC UA server' : ''}; simulated time ×${o.factor})`,
    );
    await sup.start({
      name: 'simulator',
      args: [join(ROOT, 'simulators/meters/src/main.ts'), '--scenario', scenarioFile],
      env,
      readyPort: scenario.opcua ? opcuaPort : modbusPorts[0],
      readyTimeoutMs: 120_000,
    });

    const configs = deriveStackConfigs(scenario, {
      gatewayId: 'local-gateway',
      gatewayKeyFile: join(o.dataDir, 'gateway-signing-key.json'),
      pkiDir: join(o.dataDir, 'pki'),
      streamManagerPort: smPort,
      kinesisStreamName: STREAM,
      pollIntervalMs: Math.max(50, Math.round(15_000 / o.factor)),
      modbusPorts: Object.fromEntries(
        scenario.modbus.devices.flatMap((d) => (d.port === undefined ? [] : [[d.id, d.port]])),
      ),
      ...(scenario.opcua ? { opcuaEndpoint: `opc.tcp://127.0.0.1:${opcuaPort}` } : {}),
    });
    const write = (name: string, body: unknown): string => {
      const f = join(o.dataDir, 'config', `${name}.json`);
      writeFileSync(f, JSON.stringify(body, null, 2));
      return f;
    };
    step(4, total, 'collectors (Modbus TCP, OPC UA) and line aggregator');
    const component = (name: string, cfg: string): Promise<unknown> =>
      sup.start({ name, args: [join(ROOT, `components/${name}/src/main.ts`), '--config', cfg, '--store', store], env });
    await component('modbus-collector', write('modbus-collector', configs.modbus));
    if (configs.opcua) await component('opcua-collector', write('opcua-collector', configs.opcua));
    await component('line-aggregator', write('line-aggregator', configs.aggregator));
    step(5, total, 'stream exporter');
    await component('stream-exporter', write('stream-exporter', configs.exporter));

    step(6, total, `cloud-sink: migrations (${cloud.description})`);
    await runOnce(['migrate', ...cloud.args], sup.logFile('cloud-sink-migrate'), cloud.env);
    const firstRun = (await referenceVersion(cloud)) === 0;
    step(7, total, firstRun ? 'cloud-sink: demo reference data' : 'cloud-sink: reference data already imported');
    if (firstRun)
      await runOnce(['import-demo', '--no-rollups', ...cloud.args], sup.logFile('cloud-sink-import'), cloud.env);
    await provisionGatewayKey({
      keyFile: join(o.dataDir, 'gateway-signing-key.json'),
      store: cloud.location,
      gatewayId: 'local-gateway',
      site: configs.exporter.site as string,
    });
    step(8, total, 'cloud-sink: Kinesis consumer');
    await sup.start({
      name: 'cloud-sink-consumer',
      args: [
        join(ROOT, 'cloud-sink/src/main.ts'),
        'consume',
        '--stream',
        STREAM,
        '--endpoint',
        kinesisEndpoint,
        ...cloud.args,
        '--poll-interval-ms',
        '500',
      ],
      env: cloud.env,
    });

    step(9, total, 'cloud-sink: PACT API and dashboard');
    const secret = 'local-demo-secret';
    server = await startServer({
      store: cloud.location,
      port: o.port,
      host: '127.0.0.1',
      config: await localConfig(secret),
      log: createLogger({
        component: 'cloud-sink-api',
        destination: pino.destination({ dest: join(o.dataDir, 'logs', 'cloud-sink-api.log'), mkdir: true }),
      }),
      publishIntervalMs: 10_000,
    });
    const dashboard = `${server.url}/#client_id=local&client_secret=${secret}`;
    process.stdout.write(
      `\ndashboard: ${dashboard}\n  (signs in as the local client "local" with secret "${secret}")\n\n`,
    );
    await summaryLoop(o, server.repo, dashboard, timeline, site, lines, () => failed);
    await stop(0);
  } catch (err) {
    process.stderr.write(`\nerror: ${(err as Error).message}\n`);
    await stop(1);
  }
}

async function summaryLoop(
  o: Options,
  repo: CloudSinkRepository,
  url: string,
  timeline: Timeline,
  site: string,
  lines: string[],
  failed: () => string | null,
): Promise<void> {
  const started = Date.now();
  const service = new PcfService(repo);
  const snapshot = await loadSnapshot(repo);
  const products = [...snapshot.products.keys()].sort();
  let pcf: ProductFigures[] = [];
  /** Products with no production order in the period yet (their lines have not made them so far). */
  let notYet: string[] = [];
  let lastPcf = 0;
  let note: string | undefined;
  const tty = process.stdout.isTTY === true;
  for (;;) {
    const simNow = timeline.clock.now();
    timeline.save();
    const closedEnd = windowStartOf(simNow, 60_000) - 60_000;
    const newest = await newestWindowEnd(repo, site, lines, simNow - 3_600_000, simNow + 60_000);
    // PCFs are computed once metered energy has reached the cloud (before that they would hold materials only).
    if (newest !== null && Date.now() - lastPcf > 15_000 && closedEnd > timeline.scenarioStartMs) {
      lastPcf = Date.now();
      const fresh: ProductFigures[] = [];
      const idle: string[] = [];
      for (const product of products) {
        try {
          const { doc } = await service.calculateAndStore(product, {
            periodStart: new Date(timeline.scenarioStartMs).toISOString(),
            periodEnd: new Date(closedEnd).toISOString(),
            method: 'location',
            gwpSet: 'AR6',
            shareKey: 'units',
            overheadKey: 'units',
            windowMs: 60_000,
          });
          if (doc.produced) fresh.push(productFigures(doc));
          else idle.push(product);
        } catch (err) {
          note = `PCF: ${(err as Error).message.split('\n')[0]}`;
        }
      }
      if (fresh.length > 0) {
        pcf = fresh;
        notYet = idle;
        note = undefined;
      }
    }
    const figures = await lineFigures(repo, site, lines, timeline.scenarioStartMs, simNow, 60_000);
    const text = renderSummary({
      simNow: new Date(simNow),
      factor: o.factor,
      dashboard: url,
      lines: figures,
      products: pcf,
      notYetProduced: notYet,
      lagSimMs: newest === null ? null : Math.max(0, simNow - newest),
      ...(note ? { note } : {}),
    });
    process.stdout.write(tty ? `\x1b[2J\x1b[H${text}\n` : `${text}\n\n`);
    if (failed()) throw new Error(failed() as string);
    if (o.durationSec !== null && Date.now() - started >= o.durationSec * 1000) {
      if (pcf.length === 0) throw new Error(`no PCF value was computed within ${o.durationSec} s`);
      return;
    }
    await new Promise((r) => setTimeout(r, tty ? 2000 : 10_000));
  }
}

void main();
