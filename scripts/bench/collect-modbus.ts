/**
 * Modbus collector benchmark: `npm run bench:collect -- [--seconds N] [--meters M]` (or run this file directly).
 *
 * Every process measured here runs on its own, as on a gateway, and is measured from outside through /proc
 * (scripts/bench/proc-usage.ts: CPU seconds of all its threads, VmRSS sampled every 250 ms, VmHWM):
 *   - the devices: modbus-serial ServerTCP ports in two child processes (not measured), 10 unit ids per port, each
 *     unit a meter of 50 points in 8 reads (25 float32 input registers; 15 uint32 energy, 5 spread uint16 and 5
 *     adjacent int16 holding registers): 200 meters offer 10,000 tag reads/s at 1 s (issue 21 item 4);
 *   - the collector as the Greengrass recipe starts it: the component's main.js, bundled exactly as
 *     `npm run build:components` bundles it (with its native addons staged beside it), run by plain node with no
 *     arguments in a work folder under the Greengrass IPC test server, with the environment the recipe's Setenv
 *     gives node (NODE_OPTIONS, ADR 0255), fixed-rate 1 s polls, readings into SQLite;
 *   - the bare baselines of the same run, measured the same way on the same plan and schedule with no decoding and
 *     no storing (scripts/bench/collect-modbus-child.ts): `socket`, plain net.Socket MBAP polling (what any Node
 *     Modbus TCP client pays), and `modbus-serial` (issue 21's "bare modbus-serial").
 *
 *   (a) At 1 s polls for N s (default 60) each, one after the other: the collector (tag-reads/s, CPU % of one core
 *       and CPU µs per meter poll, peak and steady RSS, RSS when polling starts), then each baseline.
 *       Ratio at 1 s = collector requests/s ÷ bare modbus-serial requests/s.
 *   (b) Capacity: every meter at a 10 ms interval (beyond what the links serve), the collector and bare
 *       modbus-serial alternating in 2 s windows for min(N, 10) s each; ratio = collector ÷ bare requests/s.
 *   (c) Requests per poll cycle with coalescing vs one request per point.
 * Windows open when the process reports it is polling and close with SIGTERM; start-up is not in them.
 * BENCH_CPU_PROF=<dir> / BENCH_HEAP_PROF=<dir>: the collector of (a) writes a V8 CPU / heap profile into <dir>.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import {
  meterPoints,
  parseCollectorConfig,
  planRequests,
  tcpEndpoint,
  type CollectorConfig,
  type CollectorStats,
  type PointConfig,
} from '../../components/modbus-collector/src';
import { createIpcTestServer } from '../../test-support/greengrass-ipc-server/server';
import type { BarePlan } from './collect-modbus-child';
import {
  BENCH_CACHE as CACHE,
  buildComponentBundle,
  measureProcess,
  recipeNodeEnv as recipeEnvOf,
  type Measured,
} from './component-process';
import type { UsageWindow } from './proc-usage';

const UNITS_PER_DEVICE = 10;
const COMPONENT = 'com.pcfedge.ModbusCollector';
const IPC_TOKEN = 'bench-modbus-collector';
const HELP = `usage: npm run bench:collect -- [--seconds N] [--meters M]
  --seconds N   length of each 1 s-poll run: the collector, then each bare baseline (default 60); the capacity
                runs take min(N, 10) s each
  --meters M    simulated meters of 50 points each (default 200), ${UNITS_PER_DEVICE} per Modbus TCP port
  --collector-only  run (a) for the collector alone: no baselines, no ratios (for profiling and tuning)
Env: BENCH_CPU_PROF=<dir>, BENCH_HEAP_PROF=<dir>: the collector's run (a) writes a V8 CPU / heap profile there.`;

function meterLayout(): PointConfig[] {
  const pts: PointConfig[] = [];
  const p = (
    name: string,
    quantity: string,
    table: 'input' | 'holding',
    address: number,
    type: PointConfig['type'],
    scale = 1,
  ): PointConfig => ({ name, quantity, table, address, type, wordOrder: 'ABCD', scale, offset: 0 });
  for (let i = 0; i < 25; i++)
    pts.push(p(`f${i}`, i % 3 === 0 ? 'voltage' : i % 3 === 1 ? 'current' : 'activePower', 'input', i * 2, 'float32'));
  for (let i = 0; i < 15; i++) pts.push(p(`e${i}`, 'activeEnergyImport', 'holding', 0x100 + i * 4, 'uint32', 0.01));
  for (let i = 0; i < 5; i++) pts.push(p(`s${i}`, 'machineState', 'holding', 0x200 + i * 20, 'uint16'));
  for (let i = 0; i < 5; i++) pts.push(p(`g${i}`, 'gasFlow', 'holding', 0x300 + i, 'int16', 0.1));
  return pts;
}

/** The collector's configuration document (what the deployment would merge), as written to its config file. */
function rawConfig(ports: number[], meters: number, pollIntervalMs: number): Record<string, unknown> {
  return {
    site: 'bench',
    devices: ports.map((port, i) => ({ id: `d${i}`, host: '127.0.0.1', port, timeoutMs: 2000 })),
    meters: Array.from({ length: meters }, (_, m) => ({
      id: `m${m}`,
      line: `L${m % 8}`,
      device: `d${Math.floor(m / UNITS_PER_DEVICE)}`,
      unitId: (m % UNITS_PER_DEVICE) + 1,
      pollIntervalMs,
      points: meterLayout(),
    })),
  };
}

/** The plan the collector's planner makes of `cfg`, for the bare baselines. */
function barePlan(cfg: Readonly<CollectorConfig>): BarePlan {
  return {
    devices: cfg.devices.map((d) => {
      if (d.transport !== 'tcp') throw new Error(`device ${d.id}: the bench uses Modbus TCP only`);
      return { ...tcpEndpoint(d), timeoutMs: d.timeoutMs };
    }),
    meters: cfg.meters.map((m) => {
      const device = cfg.devices.findIndex((d) => d.id === m.device);
      return {
        device,
        pollIntervalMs: m.pollIntervalMs,
        requests: planRequests(m.unitId, meterPoints(m), cfg.devices[device]!).map((r) => ({
          unitId: r.unitId,
          functionCode: r.functionCode as 3 | 4,
          address: r.address,
          count: r.count,
          points: r.points.length,
        })),
      };
    }),
  };
}

/**
 * The collector component bundled as `npm run build:components` bundles it (component-process.ts), and the bench's
 * child script, under node_modules/.cache so that modbus-serial, left out of the child, resolves from the repository.
 */
async function buildBundles(): Promise<{ collector: string; child: string }> {
  const collector = await buildComponentBundle('modbus-collector');
  const child = join(CACHE, 'collect-modbus-child.cjs');
  buildSync({
    entryPoints: [join(__dirname, 'collect-modbus-child.ts')],
    outfile: child,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'warning',
    external: ['modbus-serial'],
  });
  return { collector, child };
}

const recipeNodeEnv = (): Record<string, string> => recipeEnvOf(COMPONENT);

/** Devices are served by two child processes (real meters are separate hardware; neither is measured). */
async function startServers(child: string, devices: number): Promise<{ children: ChildProcess[]; ports: number[] }> {
  const split = [Math.ceil(devices / 2), Math.floor(devices / 2)].filter((n) => n > 0);
  const started = await Promise.all(
    split.map(
      (n) =>
        new Promise<{ child: ChildProcess; ports: number[] }>((resolve, reject) => {
          const c = fork(child, ['--serve', String(n)], { execArgv: [], stdio: 'inherit' });
          c.once('message', (m: { ports: number[] }) => resolve({ child: c, ports: m.ports }));
          c.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
        }),
    ),
  );
  return { children: started.map((s) => s.child), ports: started.flatMap((s) => s.ports) };
}

/**
 * The collector component as the recipe runs it (`node main.js`, no arguments, in its work folder) under the
 * Greengrass IPC test server, for `seconds` of polling: `config` is its deployment configuration. Its stats come
 * from its "stopped" log line, the readings stored from the SQLite file.
 */
async function runCollector(
  main: string,
  dir: string,
  config: Record<string, unknown>,
  seconds: number,
  profile = false,
): Promise<Measured & { stats: CollectorStats; stored: number }> {
  const prof: string[] = [];
  if (profile && process.env.BENCH_CPU_PROF) prof.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`);
  if (profile && process.env.BENCH_HEAP_PROF)
    prof.push('--heap-prof', `--heap-prof-dir=${process.env.BENCH_HEAP_PROF}`);
  const server = createIpcTestServer({ tokens: { [IPC_TOKEN]: COMPONENT } });
  await server.start();
  try {
    server.setConfiguration(COMPONENT, config);
    const m = await measureProcess([...prof, main], dir, (l) => l.includes('"modbus collector polling"'), seconds, {
      ...server.envFor(IPC_TOKEN),
      ...recipeNodeEnv(),
    });
    const stopped = m.lines.find((l) => l.includes(`"${COMPONENT} stopped"`));
    if (!stopped) throw new Error(`the collector logged no "stopped" line:\n${m.lines.slice(-20).join('\n')}`);
    const stats = (JSON.parse(stopped) as { stats: CollectorStats }).stats;
    const db = new Database(config.storePath as string, { readonly: true });
    const stored = (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
    db.close();
    return { ...m, stats, stored };
  } finally {
    await server.stop();
  }
}

/** A bare baseline (`socket` or `modbus-serial`) on `planFile` for `seconds`. */
async function runBare(
  child: string,
  dir: string,
  kind: string,
  planFile: string,
  seconds: number,
): Promise<Measured & { requests: number; tags: number }> {
  const m = await measureProcess([child, '--bare', kind, '--plan', planFile], dir, (l) => l === 'READY', seconds);
  const result = m.lines.find((l) => l.startsWith('RESULT '));
  if (!result) throw new Error(`bare ${kind} printed no RESULT:\n${m.lines.join('\n')}`);
  return { ...m, ...(JSON.parse(result.slice(7)) as { requests: number; tags: number }) };
}

const mb = (b: number): string => (b / 1048576).toFixed(0);
const pct = (u: UsageWindow): number => (u.cpuS / u.wallS) * 100;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      meters: { type: 'string' },
      'collector-only': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const seconds = Number(values.seconds ?? 60);
  const meters = Number(values.meters ?? 200);
  if (!(seconds > 0) || !Number.isInteger(meters) || meters < 1) {
    process.stderr.write(`--seconds must be > 0 and --meters a positive integer\n${HELP}\n`);
    process.exit(2);
  }
  const { collector, child } = await buildBundles();
  const devices = Math.ceil(meters / UNITS_PER_DEVICE);
  const { children, ports } = await startServers(child, devices);
  const dir = mkdtempSync(join(tmpdir(), 'bench-collect-'));
  try {
    const points = meters * meterLayout().length;
    const plans = { schedule: join(dir, 'plan.json'), saturated: join(dir, 'plan-saturated.json') };
    const cfg = parseCollectorConfig(rawConfig(ports, meters, 1000), 'bench');
    // the deployment's configuration: the recipe's defaults (storePath aside) merged with the site's meters
    const deployment = (interval: number, store: string) => ({
      ...rawConfig(ports, meters, interval),
      storePath: join(dir, 'greengrass', 'work', 'pcf-edge', store),
      batch: { maxBatch: 1000, maxDelayMs: 500 },
      healthIntervalMs: 5000,
    });
    writeFileSync(plans.schedule, JSON.stringify(barePlan(cfg)));
    writeFileSync(plans.saturated, JSON.stringify(barePlan(parseCollectorConfig(rawConfig(ports, meters, 10), 'b'))));
    const plannedPerCycle = barePlan(cfg).meters.reduce((n, m) => n + m.requests.length, 0);

    process.stderr.write(
      `modbus bench: ${meters} meters × ${meterLayout().length} points on ${devices} ports; 1 s polls, ${seconds} s each: collector, bare socket, bare modbus-serial …\n`,
    );
    const loads: string[] = [load()];
    process.stderr.write(`collector environment from its recipe: ${JSON.stringify(recipeNodeEnv())}\n`);
    const col = await runCollector(collector, dir, deployment(1000, 'gateway.sqlite'), seconds, true);
    loads.push(load());
    if (values['collector-only']) {
      reportCollector({ meters, seconds, plannedPerCycle, col, loads });
      return;
    }
    const sock = await runBare(child, dir, 'socket', plans.schedule, seconds);
    loads.push(load());
    const ms = await runBare(child, dir, 'modbus-serial', plans.schedule, seconds);
    loads.push(load());

    const capS = Math.min(seconds, 10);
    const slices = Math.max(1, Math.round(capS / 2));
    process.stderr.write(
      `capacity: collector vs bare modbus-serial at 10 ms intervals, ${slices} × ${(capS / slices).toFixed(1)} s each …\n`,
    );
    const cap = { colReq: 0, colS: 0, bareReq: 0, bareS: 0 };
    for (let i = 0; i < slices; i++) {
      const b = await runBare(child, dir, 'modbus-serial', plans.saturated, capS / slices);
      cap.bareReq += b.requests;
      cap.bareS += b.usage.wallS;
      const c = await runCollector(collector, dir, deployment(10, `saturated-${i}.sqlite`), capS / slices);
      cap.colReq += c.stats.requests;
      cap.colS += c.usage.wallS;
    }
    loads.push(load());
    report({ meters, points, seconds, plannedPerCycle, col, sock, ms, cap, loads });
  } finally {
    for (const c of children) {
      c.disconnect();
      c.kill();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function reportCollector(r: {
  meters: number;
  seconds: number;
  plannedPerCycle: number;
  col: Awaited<ReturnType<typeof runCollector>>;
  loads: string[];
}): void {
  const { col } = r;
  const polls = col.stats.requests / (r.plannedPerCycle / r.meters);
  process.stdout.write(
    [
      '',
      `(a) collector only, ${r.meters} meters at 1 s polls, ${r.seconds} s (node ${process.version}; load average before/after: ${r.loads.join(' | ')} on ${cpus().length} cores)`,
      `  tag-reads/s ${(col.stats.readings / col.usage.wallS).toFixed(0)}, CPU ${pct(col.usage).toFixed(1)} % of one core, ${((col.usage.cpuS * 1e6) / polls).toFixed(0)} µs per meter poll`,
      `  RSS start / steady / peak ${mb(col.usage.startRss)} / ${mb(col.usage.steadyRss)} / ${mb(col.usage.peakRss)} MB; machine busy cores ${col.usage.machineCores.toFixed(2)}`,
      `  readings stored ${col.stored}, polls / overruns ${col.stats.polls} / ${col.stats.overruns}`,
      '',
    ].join('\n'),
  );
}

function report(r: {
  meters: number;
  points: number;
  seconds: number;
  plannedPerCycle: number;
  col: Awaited<ReturnType<typeof runCollector>>;
  sock: Awaited<ReturnType<typeof runBare>>;
  ms: Awaited<ReturnType<typeof runBare>>;
  cap: { colReq: number; colS: number; bareReq: number; bareS: number };
  loads: string[];
}): void {
  const { col, sock, ms, cap } = r;
  const tagRate = col.stats.readings / col.usage.wallS;
  const colReqRate = col.stats.requests / col.usage.wallS;
  const msReqRate = ms.requests / ms.usage.wallS;
  const ratioSchedule = colReqRate / msReqRate;
  const ratioSaturated = cap.colReq / cap.colS / (cap.bareReq / cap.bareS);
  /** CPU µs per meter poll (one meter's 8 requests, 50 points); baselines: per the same requests. */
  const usPerPoll = (u: UsageWindow, requests: number) => (u.cpuS * 1e6) / (requests / (r.plannedPerCycle / r.meters));
  const row = (name: string, ...cells: string[]) => `  ${name.padEnd(30)} ${cells.map((c) => c.padStart(20)).join('')}`;
  const fig = (m: Measured, requests: number, tags: number) => [
    (tags / m.usage.wallS).toFixed(0),
    (requests / m.usage.wallS).toFixed(0),
    pct(m.usage).toFixed(1),
    usPerPoll(m.usage, requests).toFixed(0),
    mb(m.usage.startRss),
    mb(m.usage.steadyRss),
    mb(m.usage.peakRss),
  ];
  const names = [
    'tag-reads/s',
    'requests/s',
    'CPU % of one core',
    'CPU µs per meter poll',
    'RSS at start, MB',
    'steady RSS, MB',
    'peak RSS (VmHWM), MB',
  ];
  const columns = [
    fig(col, col.stats.requests, col.stats.readings),
    fig(sock, sock.requests, sock.tags),
    fig(ms, ms.requests, ms.tags),
  ];
  const out = [
    '',
    `(a) ${r.meters} meters × ${meterLayout().length} points at 1 s polls, ${r.seconds} s per process, each its own process measured through /proc (node ${process.version}; load average (1, 5, 15 min) before/between/after the runs: ${r.loads.join(' | ')} on ${cpus().length} cores)`,
    row('', 'collector', 'bare socket', 'bare modbus-serial'),
    ...names.map((n, i) => row(n, ...columns.map((c) => c[i]!))),
    row('machine busy cores (all work)', ...[col, sock, ms].map((m) => m.usage.machineCores.toFixed(2))),
    row('readings stored (SQLite rows)', String(col.stored)),
    row('polls / overruns', `${col.stats.polls} / ${col.stats.overruns}`),
    `  ratio at 1 s (collector ÷ bare modbus-serial requests/s): ${ratioSchedule.toFixed(2)}   target >= 0.8`,
    '',
    `(b) capacity at 10 ms intervals: collector ${(cap.colReq / cap.colS).toFixed(0)} req/s, bare modbus-serial ${(cap.bareReq / cap.bareS).toFixed(0)} req/s: ratio ${ratioSaturated.toFixed(2)}   target >= 0.8`,
    '',
    `(c) requests per poll cycle: coalesced ${r.plannedPerCycle}, one request per point ${r.points} (${(r.points / r.plannedPerCycle).toFixed(1)}× more); observed ${(col.stats.requests / (col.stats.polls / r.meters)).toFixed(0)}`,
    '',
  ];
  process.stdout.write(out.join('\n'));
  const b = (name: string, value: string, unit: string, target = '') =>
    `BENCH collect.modbus.${name}=${value} ${unit}${target ? ` target ${target}` : ''}`;
  process.stdout.write(
    [
      // issue 21: 10,000 tag reads/s (98 % of what 200 meters offer) at <= 12 % of one core in <= 100 MB; a
      // smaller --meters run can only reach what it offers
      b('tagsPerSec', tagRate.toFixed(0), 'tags/s', `>= ${Math.floor(r.points * 0.98)}`),
      b('cpuPctOneCore', pct(col.usage).toFixed(1), '%', '<= 12'),
      b('cpuUsPerMeterPoll', usPerPoll(col.usage, col.stats.requests).toFixed(0), 'µs'),
      b('rssMB', mb(col.usage.peakRss), 'MB', '<= 100'),
      b('steadyRssMB', mb(col.usage.steadyRss), 'MB'),
      b('startRssMB', mb(col.usage.startRss), 'MB'),
      b('bareSocket.cpuPctOneCore', pct(sock.usage).toFixed(1), '%'),
      b('bareSocket.cpuUsPerMeterPoll', usPerPoll(sock.usage, sock.requests).toFixed(0), 'µs'),
      b('bareSocket.rssMB', mb(sock.usage.peakRss), 'MB'),
      b('bareModbusSerial.cpuPctOneCore', pct(ms.usage).toFixed(1), '%'),
      b('bareModbusSerial.cpuUsPerMeterPoll', usPerPoll(ms.usage, ms.requests).toFixed(0), 'µs'),
      b('bareModbusSerial.rssMB', mb(ms.usage.peakRss), 'MB'),
      b('ratioSchedule', ratioSchedule.toFixed(2), 'ratio', '>= 0.8'),
      b('ratioSaturated', ratioSaturated.toFixed(2), 'ratio', '>= 0.8'),
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
