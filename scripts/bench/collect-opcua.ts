/**
 * OPC UA collector benchmark (issue 3 (c), issue 21): `tsx scripts/bench/collect-opcua.ts [--seconds N] [--items M]`,
 * also run by `npm run bench:collect`.
 *
 * Every process measured here runs on its own and is measured from outside through /proc (ADR 0227, proc-usage.ts):
 *   - the server: a node-opcua server in a child process (not measured) exposing M UInt32 variables (default
 *     10,000), each returning the next integer every time the server samples it (scripts/bench/collect-opcua-child.ts);
 *   - the collector as the Greengrass recipe starts it: the component's main.js, bundled exactly as
 *     `npm run build:components` bundles it, run by plain node with no arguments in a work folder under the
 *     Greengrass IPC test server, with the environment the recipe's Setenv gives node; its configuration is the
 *     recipe's defaults with the site's endpoint and meters (10 points each, subscribed at 1 s: subscriptions of at
 *     most 1,000 items, queue size 10), readings into SQLite;
 *   - the bare baseline of the same run: a bare node-opcua client monitoring the same items the same way, with no
 *     decoding and no store (collect-opcua-child.ts --bare).
 *
 * The collector's window opens 2 s after every item has a reading in the store (set-up: connect, create the items,
 * first values) and lasts N s (default 60); then the server freezes its values, the collector gets 5 s to drain and
 * is stopped with SIGTERM, as Greengrass stops a component. Every integer a node produced from its first stored value
 * to its final one must be in the store (a skipped one is a lost update). The baseline is measured the same way,
 * from 2 s after its every item delivered a value, for N s.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import { createIpcTestServer } from '../../test-support/greengrass-ipc-server/server';
import { COMPONENTS, externalsOf } from '../build/components';
import type { FromServer, ToServer } from './collect-opcua-child';
import {
  BENCH_CACHE,
  buildComponentBundle,
  recipeDefaults,
  recipeNodeEnv,
  startProcess,
  type Started,
} from './component-process';
import { watchProcess, type UsageWindow } from './proc-usage';

const COMPONENT = 'com.pcfedge.OpcUaCollector';
const IPC_TOKEN = 'bench-opcua-collector';
const RSS_TARGET_MB = 250;
const HELP = `usage: tsx scripts/bench/collect-opcua.ts [--seconds N] [--items M]
  --seconds N   measurement window of the collector and of the bare baseline (default 60)
  --items M     monitored items, one UInt32 node each, sampled every 1 s (default 10000, issue 21)
Targets: every update the server produced is stored (0 lost); the collector's peak RSS <= ${RSS_TARGET_MB} MB.`;

/** The bench's child script (server and bare client), bundled as the component is (node-opcua-client inside). */
function buildChild(): string {
  const out = join(BENCH_CACHE, 'collect-opcua-child.cjs');
  const spec = COMPONENTS.find((c) => c.dir === 'opcua-collector')!;
  buildSync({
    entryPoints: [join(__dirname, 'collect-opcua-child.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'error',
    // the server half (node-opcua) is loaded by --serve only, from the repository
    external: [...externalsOf(spec), 'node-opcua'],
  });
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface Server {
  child: ChildProcess;
  url: string;
  namespace: string;
  ask(m: ToServer): Promise<number[]>;
}

async function startServer(child: string, items: number): Promise<Server> {
  const port = await freePort();
  const c = fork(child, ['--serve', String(items), '--port', String(port)], { execArgv: [], stdio: 'inherit' });
  const replies: ((m: FromServer) => void)[] = [];
  c.on('message', (m: FromServer) => replies.shift()?.(m));
  const next = () => new Promise<FromServer>((resolve) => replies.push(resolve));
  const hello = await Promise.race([
    next(),
    new Promise<never>((_, reject) => c.once('exit', (code) => reject(new Error(`server exited with ${code}`)))),
  ]);
  if (!('port' in hello)) throw new Error('the bench server did not report its port');
  return {
    child: c,
    url: `opc.tcp://127.0.0.1:${hello.port}/UA/bench`,
    namespace: hello.namespace,
    async ask(m) {
      const reply = next();
      c.send(m);
      return ((await reply) as { finals: number[] }).finals;
    },
  };
}

/** Waits until `done()`, checked every 250 ms; throws after `limitMs`. */
async function until(done: () => boolean, limitMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > limitMs) throw new Error(`${what} did not happen within ${limitMs / 1000} s`);
    await sleep(250);
  }
}

/** Sleeps until epoch second `s`. */
const sleepUntil = (s: number) => sleep(Math.max(0, s * 1000 - Date.now()));

interface CollectorRun {
  usage: UsageWindow;
  setupS: number;
  windowS: number;
  /** Updates stored with a read time in the window, per second. */
  rate: number;
  stored: number;
  expected: number;
  lost: number;
  tailMissing: number;
  stats: { bad?: number; endpoints?: Record<string, { losses?: number }> };
}

/** The component under Greengrass for `seconds` of steady subscriptions, then its store checked against the server. */
async function runCollector(main: string, dir: string, server: Server, items: number, seconds: number) {
  const storePath = join(dir, 'greengrass', 'work', 'pcf-edge', 'gateway.sqlite');
  const meters = Array.from({ length: Math.ceil(items / 10) }, (_, m) => ({
    id: `m${m}`,
    line: `L${m % 10}`,
    endpoint: 'srv',
    points: Array.from({ length: Math.min(10, items - m * 10) }, (_, p) => ({
      name: `p${p}`,
      nodeId: `nsu=${server.namespace};s=n${m * 10 + p}`,
      quantity: 'unitsProduced',
      samplingIntervalMs: 1000,
    })),
  }));
  // the deployment: the recipe's defaults merged with the site's endpoint and meters
  const config = {
    ...recipeDefaults(COMPONENT),
    storePath,
    site: 'bench',
    endpoints: [{ id: 'srv', url: server.url, pkiDir: join(dir, 'pki') }],
    meters,
  };
  const ipc = createIpcTestServer({ tokens: { [IPC_TOKEN]: COMPONENT } });
  await ipc.start();
  let p: Started | undefined;
  try {
    ipc.setConfiguration(COMPONENT, config);
    const t0 = Date.now();
    p = startProcess([main], dir, { ...ipc.envFor(IPC_TOKEN), ...recipeNodeEnv(COMPONENT) });
    await p.line((l) => l.includes('"opcua collector subscribed"'));
    const db = new Database(storePath, { readonly: true });
    const seriesCount = db.prepare('SELECT count(*) FROM reading_series').pluck();
    await until(() => (seriesCount.get() as number) >= items, 300_000, 'a first value of every item');
    db.close();
    const setupS = (Date.now() - t0) / 1000;
    const windowStart = Math.ceil(Date.now() / 1000) + 2;
    await sleepUntil(windowStart);
    const watch = watchProcess(p.child.pid!);
    await sleepUntil(windowStart + seconds);
    const usage = watch.end();
    const finals = await server.ask({ cmd: 'freeze' });
    await sleep(5000);
    await p.stop();
    const stopped = p.lines.find((l) => l.includes(`"${COMPONENT} stopped"`));
    const stats = stopped ? (JSON.parse(stopped) as { stats?: CollectorRun['stats'] }).stats : undefined;
    return { usage, setupS, ...checkStore(storePath, finals, windowStart, seconds), stats: stats ?? {} };
  } catch (err) {
    if (p) process.stderr.write(`collector output:\n${p.lines.slice(-20).join('\n')}\n`);
    p?.child.kill('SIGKILL');
    throw err;
  } finally {
    await ipc.stop();
  }
}

/**
 * The store against what the server produced: per node, every integer from its first stored value to its final one
 * (gaps: lost; after the last stored: tail missing), and the updates with a read time in the window.
 */
function checkStore(storePath: string, finals: number[], windowStart: number, seconds: number) {
  const db = new Database(storePath, { readonly: true });
  const seen = new Map<string, { first: number; last: number; lost: number }>();
  let stored = 0;
  let inWindow = 0;
  const rows = db.prepare('SELECT meter_id, point, value, read_ts FROM readings ORDER BY seq').raw();
  for (const [meter, point, value, readTs] of rows.iterate() as Iterable<[string, string, number | null, number]>) {
    stored++;
    const s = Math.floor(readTs / 1000);
    if (s >= windowStart && s < windowStart + seconds) inWindow++;
    const key = `${meter}/${point}`;
    const v = value ?? NaN;
    const prev = seen.get(key);
    if (!prev) seen.set(key, { first: v, last: v, lost: 0 });
    else {
      prev.lost += Math.max(0, v - prev.last - 1);
      prev.last = v;
    }
  }
  db.close();
  let expected = 0;
  let lost = 0;
  let tailMissing = 0;
  finals.forEach((final, i) => {
    const s = seen.get(`m${Math.floor(i / 10)}/p${i % 10}`);
    if (!s) {
      tailMissing += final;
      return;
    }
    expected += final - s.first + 1;
    lost += s.lost;
    tailMissing += Math.max(0, final - s.last);
  });
  return { windowS: seconds, rate: inWindow / seconds, stored, expected, lost, tailMissing };
}

/** The bare client's count of updates delivered so far (it prints one on SIGUSR1). */
async function count(p: Started): Promise<number> {
  const seen = p.lines.filter((l) => l.startsWith('COUNT ')).length;
  p.child.kill('SIGUSR1');
  await until(() => p.lines.filter((l) => l.startsWith('COUNT ')).length > seen, 5000, 'a COUNT line');
  return Number(
    p.lines
      .filter((l) => l.startsWith('COUNT '))
      .at(-1)!
      .slice(6),
  );
}

/** The bare client on the same items, from 2 s after every item delivered a value, for `seconds`. */
async function runBare(child: string, dir: string, server: Server, items: number, seconds: number) {
  await server.ask({ cmd: 'thaw' });
  const p = startProcess([child, '--bare', '--url', server.url, '--items', String(items)], dir);
  try {
    await p.line((l) => l === 'READY');
    const windowStart = Math.ceil(Date.now() / 1000) + 2;
    await sleepUntil(windowStart);
    const watch = watchProcess(p.child.pid!);
    const first = await count(p);
    await sleepUntil(windowStart + seconds);
    const usage = watch.end();
    const inWindow = (await count(p)) - first;
    await p.stop();
    const result = p.lines.find((l) => l.startsWith('RESULT '));
    if (!result) throw new Error(`the bare client printed no RESULT:\n${p.lines.join('\n')}`);
    const { lost } = JSON.parse(result.slice(7)) as { delivered: number; lost: number };
    return { usage, lost, rate: inWindow / usage.wallS };
  } catch (err) {
    p.child.kill('SIGKILL');
    throw err;
  }
}

const mb = (b: number) => (b / 1048576).toFixed(1);
const pct = (u: UsageWindow) => (u.cpuS / u.wallS) * 100;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function bench(seconds: number, items: number): Promise<number> {
  const main = await buildComponentBundle('opcua-collector');
  const child = buildChild();
  const server = await startServer(child, items);
  const dir = mkdtempSync(join(tmpdir(), 'bench-opcua-'));
  const loads = [load()];
  try {
    process.stderr.write(
      `opcua bench: ${items} items at 1 s, ${seconds} s each: the collector component, then the bare client …\n` +
        `collector environment from its recipe: ${JSON.stringify(recipeNodeEnv(COMPONENT))}\n`,
    );
    const col = await runCollector(main, dir, server, items, seconds);
    loads.push(load());
    const bare = await runBare(child, dir, server, items, seconds);
    loads.push(load());
    return report({ items, seconds, col, bare, loads });
  } finally {
    server.child.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(r: {
  items: number;
  seconds: number;
  col: CollectorRun;
  bare: Awaited<ReturnType<typeof runBare>>;
  loads: string[];
}): number {
  const { col, bare, items } = r;
  const lost = col.lost + col.tailMissing;
  const usPerUpdate = (u: UsageWindow, updates: number) => ((u.cpuS * 1e6) / updates).toFixed(1);
  const rows: [string, string, string, string][] = [
    ['', 'collector', 'bare client', 'target'],
    ['updates/s (steady window)', col.rate.toFixed(0), bare.rate.toFixed(0), `${items}`],
    ['CPU % of one core', pct(col.usage).toFixed(1), pct(bare.usage).toFixed(1), ''],
    [
      'CPU µs per update',
      usPerUpdate(col.usage, col.rate * col.windowS),
      usPerUpdate(bare.usage, bare.rate * bare.usage.wallS),
      '',
    ],
    ['RSS at window start, MB', mb(col.usage.startRss), mb(bare.usage.startRss), ''],
    ['steady RSS, MB', mb(col.usage.steadyRss), mb(bare.usage.steadyRss), ''],
    ['peak RSS (VmHWM), MB', mb(col.usage.peakRss), mb(bare.usage.peakRss), `<= ${RSS_TARGET_MB} (collector)`],
    ['machine busy cores (all work)', col.usage.machineCores.toFixed(2), bare.usage.machineCores.toFixed(2), ''],
    ['updates lost (gaps, missing tail)', `${col.lost}, ${col.tailMissing}`, `${bare.lost}, —`, '0, 0'],
  ];
  const out = [
    '',
    `OPC UA: ${items} monitored items at 1 s, ${r.seconds} s window per process, each its own process measured through /proc (node ${process.version}; load average (1, 5, 15 min) before/between/after: ${r.loads.join(' | ')} on ${cpus().length} cores)`,
    ...rows.map(([k, a, b, t]) => `  ${k.padEnd(34)} ${a.padStart(12)} ${b.padStart(14)}   ${t}`),
    `  collector set-up (start to every item stored) ${col.setupS.toFixed(1)} s; readings stored ${col.stored} of ${col.expected} produced; bad readings / session losses ${col.stats.bad ?? '?'} / ${col.stats.endpoints?.srv?.losses ?? '?'}`,
  ];
  const ok = lost === 0 && col.stored === col.expected && col.usage.peakRss <= RSS_TARGET_MB * 1048576;
  out.push(`  ${ok ? 'PASS' : 'FAIL'}: every update stored, none lost, peak RSS within target`, '');
  process.stdout.write(out.join('\n'));
  const b = (name: string, value: string, unit: string, target = '') =>
    `BENCH collect.opcua.${name}=${value} ${unit}${target ? ` target ${target}` : ''}`;
  process.stdout.write(
    [
      b('updatesPerSec', col.rate.toFixed(0), 'updates/s', `>= ${items}`),
      b('updatesLost', String(lost), 'updates', '= 0'),
      b('rssMB', mb(col.usage.peakRss), 'MB', `<= ${RSS_TARGET_MB}`),
      b('steadyRssMB', mb(col.usage.steadyRss), 'MB'),
      b('cpuPctOneCore', pct(col.usage).toFixed(1), '%'),
      b('bareClient.cpuPctOneCore', pct(bare.usage).toFixed(1), '%'),
      b('bareClient.rssMB', mb(bare.usage.peakRss), 'MB'),
      '',
    ].join('\n'),
  );
  return ok ? 0 : 1;
}

// not strict: `npm run bench:collect` passes the Modbus bench's options (--meters, --collector-only) to both
const { values } = parseArgs({
  strict: false,
  options: { seconds: { type: 'string' }, items: { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const seconds = Number(values.seconds ?? 60);
const items = Number(values.items ?? 10_000);
if (!(seconds > 0) || !Number.isInteger(items) || items < 1) {
  process.stderr.write(`--seconds must be > 0 and --items a positive integer\n${HELP}\n`);
  process.exit(2);
}
bench(seconds, items).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
