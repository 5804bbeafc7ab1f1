/**
 * API benchmark: `npm run bench:api -- [--connections N] [--duration-sec S] [--server bundle|tsx]`.
 * Loads the demo dataset (reference data, the demo day's rollups, location- and market-based results of the three
 * demo products) into a temp SQLite file, starts `cloud-sink serve` on it as a child process — by default as deployed,
 * built by esbuild into one bundle and run with plain node (scripts/bench/api-server.ts) — and drives it with
 * autocannon from this process: N concurrent connections (default 200) for S seconds (default 10) on
 * GET /2/footprints/{id}, then on POST /api/pcf (ad-hoc calculation, not stored): one request repeated (answered
 * from the kept calculation, ADR 0141) and every request distinct (each one computed); then the bare baseline: plain
 * node:http answering with uncached answers of the server (one per product, in turn), same load. The distinct
 * ad-hoc load runs again on `serve --workers <one per core>`, warmed up first (unmeasured) as the one process was by
 * the runs before it. Prints requests/s and the p95 latency of each (exact, from every response time) against the
 * targets (reads ≤ 50 ms, ad-hoc ≤ 200 ms) and the server CPU per request (every server process, primary and
 * workers, from /proc, over the requests answered), and writes bench-results/api.json. Exits 0 when the runs
 * completed (targets are reported, not enforced), 1 on failure, 2 on bad arguments. With BENCH_CPU_PROF=<dir>, every
 * server process writes a V8 CPU profile into <dir> when it stops.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importDirectory } from '../../cloud-sink/src/service/demo';
import { DEMO_DAY, demoRollups } from '../../cloud-sink/src/service/demo-rollups';
import { decodeRollups } from '../../cloud-sink/src/ingest/quantities';
import { PcfService } from '../../cloud-sink/src/service/pcf-service';
import { openSqliteRepository } from '../../cloud-sink/src/store/sqlite';
import { openSecurityStore } from '../../cloud-sink/src/store/security-store';
import { hashSecret } from '../../cloud-sink/src/api/secrets';
import {
  buildServerBundle,
  processTreeCpuMs,
  SERVER_KINDS,
  serverCommand,
  startBareServer,
  startServerProcess,
  type ServerKind,
} from './api-server';

interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
interface AutocannonResult {
  non2xx: number;
  errors: number;
  timeouts: number;
  requests: { total: number };
  duration: number;
}
type Autocannon = (
  opts: Record<string, unknown>,
  done: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- autocannon ships no types; the shape used is declared above
const autocannon = require('autocannon') as Autocannon;

const HELP = `usage: npm run bench:api -- [--connections N] [--duration-sec S] [--server bundle|tsx]
  --connections N   concurrent connections (default 200)
  --duration-sec S  seconds per scenario (default 10)
  --server K        bundle: the server built by esbuild into one file, run with plain node, as deployed (default);
                    tsx: from the TypeScript sources under tsx's loader (BENCH names get a .tsx infix)`;
const ROOT = resolve(__dirname, '../..');
const SECRET = 'bench-secret-not-for-production';
const PERIOD = {
  periodStart: DEMO_DAY.start,
  periodEnd: new Date(Date.parse(DEMO_DAY.start) + DEMO_DAY.windows * DEMO_DAY.windowMs).toISOString(),
};

function parse(): { connections: number; durationSec: number; server: ServerKind } {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string' },
      'duration-sec': { type: 'string' },
      server: { type: 'string', default: 'bundle' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, dflt: number) => {
    const n = text === undefined ? dflt : Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) {
      process.stderr.write(`--${name} must be an integer from 1 to 10000\n${HELP}\n`);
      process.exit(2);
    }
    return n;
  };
  if (!SERVER_KINDS.includes(values.server as ServerKind)) {
    process.stderr.write(`--server must be one of ${SERVER_KINDS.join(', ')}\n${HELP}\n`);
    process.exit(2);
  }
  return {
    connections: int('connections', values.connections, 200),
    durationSec: int('duration-sec', values['duration-sec'], 10),
    server: values.server as ServerKind,
  };
}

async function prepare(file: string): Promise<void> {
  const repo = openSqliteRepository({ file });
  // the bench client reads the footprints over PACT: it holds the demo company's grant (ADR 0190)
  const security = openSecurityStore(repo);
  await security.upsertClient({
    clientId: 'local',
    secretHash: await hashSecret(SECRET),
    scopes: ['pact', 'ops:read'],
  });
  await security.addGrant({ clientId: 'local', kind: 'companyId', value: 'urn:pcf-edge:company:demo' });
  // one client drives all the load: its per-client rate limit (600/min by default) is lifted for the bench
  writeFileSync(
    join(dirname(file), 'api-config.json'),
    JSON.stringify({
      clients: [{ clientId: 'local', secretHash: await hashSecret(SECRET), scopes: ['pact', 'ops:read'] }],
      rateLimit: { perClient: 100_000_000, anonymous: 100_000_000, token: 100_000 },
    }),
  );
  await importDirectory(repo);
  await repo.ingest({ rollups: decodeRollups(demoRollups()), deadLetters: [] });
  const pcf = new PcfService(repo);
  for (const method of ['location', 'market'] as const) {
    for (const product of ['steel-sheet', 'housing', 'widget']) {
      await pcf.calculateAndStore(product, {
        ...PERIOD,
        method,
        gwpSet: 'AR6',
        shareKey: 'units',
        overheadKey: 'units',
      });
    }
  }
  await repo.close();
}

function startServer(
  file: string,
  workers: number,
  kind: ServerKind,
  bundle: string | undefined,
): Promise<{ child: ChildProcess; url: string }> {
  const args = [
    ...['--port', '0', '--db', file, '--signing-keys', join(dirname(file), 'signing-keys.json')],
    ...['--config', join(dirname(file), 'api-config.json'), '--workers', String(workers), '--publish-interval-ms', '0'],
  ];
  return startServerProcess(ROOT, serverCommand(kind, bundle, args), {
    ...process.env,
    PCF_EDGE_CLIENT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
  });
}

interface Scenario {
  name: string;
  /** null for a baseline. */
  targetP95Ms: number | null;
  requests: number;
  perSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /**
   * Server CPU (user + system, every server process) per request, µs: the server's cost, far less dependent than
   * latency on what else loads the machine.
   */
  serverCpuUsPerRequest: number | null;
}

function run(
  name: string,
  targetP95Ms: number | null,
  serverPid: number | undefined,
  opts: Record<string, unknown>,
): Promise<Scenario> {
  const times: number[] = [];
  const cpu0 = processTreeCpuMs(serverPid);
  return new Promise((done, fail) => {
    const inst = autocannon(opts, (err, r) => {
      if (err) {
        fail(err);
        return;
      }
      const cpu1 = processTreeCpuMs(serverPid);
      times.sort((a, b) => a - b);
      const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] ?? NaN;
      const ms = (v: number) => Math.round(v * 10) / 10;
      const total = r.requests.total;
      done({
        name,
        targetP95Ms,
        requests: times.length,
        perSec: Math.round(times.length / r.duration),
        p50Ms: ms(pct(50)),
        p95Ms: ms(pct(95)),
        p99Ms: ms(pct(99)),
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        serverCpuUsPerRequest:
          cpu0 !== null && cpu1 !== null && total > 0 ? Math.round(((cpu1 - cpu0) * 1000) / total) : null,
      });
    });
    inst.on('response', (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
}

const PRODUCTS = ['steel-sheet', 'housing', 'widget'] as const;
const METHODS = ['location', 'market'] as const;
const GWP_SETS = ['AR4', 'AR5', 'AR6'] as const;
let distinct = 0;

/** The k-th ad-hoc request body: no two k give the same (product, options, period). */
function distinctAdHocBody(k: number): string {
  const periodStart = new Date(Date.parse(PERIOD.periodStart) - Math.floor(k / 18) * 60_000).toISOString();
  return JSON.stringify({
    product: PRODUCTS[k % 3],
    method: METHODS[Math.floor(k / 3) % 2],
    gwpSet: GWP_SETS[Math.floor(k / 6) % 3],
    periodStart,
    periodEnd: PERIOD.periodEnd,
  });
}

/** Request headers carrying a token of the bench client, from the server at `url`. */
async function bearerHeaders(url: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`local:${SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (!res.ok) throw new Error(`token request to ${url} answered ${res.status}: ${await res.text()}`);
  const token = ((await res.json()) as { access_token: string }).access_token;
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

/** autocannon options for POST /api/pcf at `url` with every request distinct (distinctAdHocBody). */
function distinctLoad(
  url: string,
  headers: Record<string, string>,
  common: Record<string, unknown>,
): Record<string, unknown> {
  return {
    ...common,
    url: `${url}/api/pcf`,
    method: 'POST',
    headers,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: distinctAdHocBody(distinct++) }) }],
  };
}

async function main(): Promise<void> {
  const { connections, durationSec, server: kind } = parse();
  const dir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const file = join(dir, 'db.sqlite');
  let child: ChildProcess | undefined;
  let answerBytes = '';
  try {
    // inside the repository, so the bundle's externals resolve from its node_modules
    const bundle = kind === 'bundle' ? await buildServerBundle(ROOT, join(ROOT, '.pcf-edge', 'bench-api')) : undefined;
    await prepare(file);
    const loadAtStart = loadavg();
    const server = await startServer(file, 1, kind, bundle);
    child = server.child;
    const headers = await bearerHeaders(server.url);
    const list = (await (await fetch(`${server.url}/2/footprints`, { headers })).json()) as {
      data: { id: string; status: string }[];
    };
    const id = list.data.find((f) => f.status === 'Active')?.id;
    if (!id) throw new Error('no footprint published from the demo results');
    const common = { connections, duration: durationSec, timeout: 30 };
    const scenarios = [
      await run('GET /2/footprints/{id}', 50, child.pid, {
        ...common,
        url: `${server.url}/2/footprints/${id}`,
        headers,
      }),
      await run('POST /api/pcf (ad-hoc)', 200, child.pid, {
        ...common,
        url: `${server.url}/api/pcf`,
        method: 'POST',
        headers,
        body: JSON.stringify({ product: 'widget', ...PERIOD, method: 'location', gwpSet: 'AR6' }),
      }),
      // The same with every request distinct (product, method, GWP set and a period starting k minutes earlier):
      // no kept calculation can answer, so this is the cost of computing each answer (ADR 0141).
      await run('POST /api/pcf (ad-hoc, uncached)', 200, child.pid, distinctLoad(server.url, headers, common)),
    ];
    // one uncached answer of each product (the rotation of distinctAdHocBody), for the bare baseline below
    const answers: Buffer[] = [];
    for (let i = 0; i < PRODUCTS.length; i++) {
      const res = await fetch(`${server.url}/api/pcf`, {
        method: 'POST',
        headers,
        body: distinctAdHocBody(distinct++),
      });
      answers.push(Buffer.from(await res.arrayBuffer()));
    }
    answerBytes = answers.map((a) => a.length).join(', ');
    await stop(child);
    // the bare baseline: those answers in turn from plain node:http, to the same load
    const bare = await startBareServer(ROOT, answers);
    child = bare.child;
    scenarios.push(await run('bare node:http, same answers', null, child.pid, distinctLoad(bare.url, headers, common)));
    await stop(child);
    // the same distinct ad-hoc load on `serve --workers <one per core>` (ADR 0192), beside the one-worker figure
    const workers = availableParallelism();
    const pool = await startServer(file, workers, kind, bundle);
    child = pool.child;
    const poolLoad = distinctLoad(pool.url, await bearerHeaders(pool.url), common);
    // fresh workers compile their hot code under the first requests; the one-worker figure follows two warm runs, so
    // the pool is warmed alike (not measured) before its figure
    await run('warm-up', null, child.pid, { ...poolLoad, duration: Math.min(3, durationSec) });
    scenarios.push(await run(`POST /api/pcf (ad-hoc, uncached, ${workers} workers)`, 200, child.pid, poolLoad));
    const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
    process.stdout.write(
      `${connections} connections, ${durationSec} s each, demo dataset (SQLite), answers ${answerBytes} bytes, server: ${kind === 'bundle' ? 'esbuild bundle on plain node (as deployed)' : 'tsx'}; ${cpus().length} CPUs, load average ${load(loadAtStart)} at the start, ${load(loadavg())} at the end (latencies are only meaningful on an otherwise idle machine)\n`,
    );
    for (const s of scenarios) {
      process.stdout.write(
        `${s.name.padEnd(26)} ${String(s.perSec).padStart(7)} req/s  p50 ${s.p50Ms} ms  p95 ${s.p95Ms} ms ${s.targetP95Ms === null ? '(baseline)' : `(target ≤ ${s.targetP95Ms} ms: ${s.p95Ms <= s.targetP95Ms ? 'met' : 'MISSED'})`}  p99 ${s.p99Ms} ms  non-2xx ${s.non2xx}  errors ${s.errors}  server CPU ${s.serverCpuUsPerRequest ?? '?'} µs/request\n`,
      );
    }
    // machine-readable figures for npm run bench (scripts/bench/report.ts)
    for (const s of scenarios) {
      const key = `${kind === 'tsx' ? 'tsx.' : ''}${s.name.replace(/[^\w]+/g, '_').replace(/^_|_$/g, '')}`;
      process.stdout.write(
        `BENCH api.${key}.p95Ms=${s.p95Ms} ms${s.targetP95Ms === null ? '' : ` target <= ${s.targetP95Ms}`}\nBENCH api.${key}.reqPerSec=${s.perSec} req/s\n`,
      );
      if (s.serverCpuUsPerRequest !== null)
        process.stdout.write(`BENCH api.${key}.serverCpuUsPerRequest=${s.serverCpuUsPerRequest} us\n`);
    }
    mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench-results', 'api.json'),
      `${JSON.stringify({ at: new Date().toISOString(), server: kind, connections, durationSec, cpus: cpus().length, loadAverageAtStart: loadAtStart, loadAverage: loadavg(), scenarios }, null, 2)}\n`,
    );
  } finally {
    if (child && child.exitCode === null) await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
