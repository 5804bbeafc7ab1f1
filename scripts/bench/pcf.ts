/**
 * PCF benchmark: `npm run bench:pcf -- [--quick] [--stores sqlite,postgres]`, each store measured the same way and
 * printed side by side. Full size: 10,000 products in five BOM levels, 20 lines with a year of 15-minute rollups
 * and back-to-back orders. Per store: (1) recomputing every product's PCF for every month via `precomputePeriod`
 * (target ≤ 30 s), (2) p95 of one ad-hoc product calculation for a random product and month (target ≤ 100 ms), with
 * the months precomputed and cold, (3) ingesting 500,000 rollups from a local Kinesis (kinesalite in its own process,
 * 4 shards; target ≥ 20,000 rollups/s): SQLite with one consumer, PostgreSQL with two consumer processes of two
 * shards each. Beside them, the bare baseline of the ingest: reading and decoding the stream, storing nothing.
 * PostgreSQL runs when PCF_EDGE_DATABASE_URL is set (in a schema of its own, dropped at the end).
 * --quick: 1,000 products, 4 lines, 2 months, 50,000 rollups. Exit 0 when done (targets are reported, not enforced).
 * (4) the cost of keeping every rollup revision at a year of 15-minute rollups with 5 % revised windows, on SQLite
 * (`pcf-history.ts`; --quick: a year on 4 lines). --phases pcf,ingest,history: only those (default all).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { batchSigner, makeRollupBatch, newGatewayKey, silentLogger } from '@pcf-edge/core';
import {
  createBatchVerifier,
  createKinesisConsumer,
  openSecurityStore,
  type BatchVerifier,
  decodeRollups,
  importParsed,
  IMPORT_ORDER,
  PcfService,
  type CloudSinkRepository,
} from '../../cloud-sink/src';
import { openRepository, storeLocation, type StoreLocation } from '../../cloud-sink/src/store/open';
import { startLocalKinesisProcess, type LocalKinesis } from '../../test-support/kinesis';
import { historyCost } from './pcf-history';
import { processStat, serverTreeCpuSec } from './fleet-proc';
import { cpuMs, LEVELS, optionsFor, prng, productId, referenceData, rollupChunks, type BenchSize } from './pcf-data';

/** The phases `--phases` may name: the PCF figures (1, 2), the ingest (3), the history's cost (4). */
const PHASES = ['pcf', 'ingest', 'history'];
const FULL: BenchSize = { products: 10_000, lines: 20, months: 12, ingestRollups: 500_000 };
const QUICK: BenchSize = { products: 1_000, lines: 4, months: 2, ingestRollups: 50_000 };
const ROOT = resolve(__dirname, '../..');
const log = (text: string) => process.stdout.write(`${text}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const quantile = (xs: number[], f: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(f * xs.length))]!;

type StoreName = 'sqlite' | 'postgres';
/** A store under test: a fresh one per phase (`fresh`), removed by `dispose`. */
interface BenchStore {
  name: StoreName;
  fresh(label: string): StoreLocation;
  /** After loading: what production's autovacuum would do (PostgreSQL: VACUUM ANALYZE for index-only scans). */
  settle(loc: StoreLocation): Promise<void>;
  dispose(): Promise<void>;
}
type Figures = Map<string, { value: number; unit: string; text: string }>;

function sqliteStore(dir: string): BenchStore {
  return {
    name: 'sqlite',
    fresh: (label) => ({ kind: 'sqlite', file: join(dir, `${label}.sqlite`) }),
    settle: () => Promise.resolve(),
    dispose: () => Promise.resolve(),
  };
}

function postgresStore(url: string): BenchStore {
  const schemas: string[] = [];
  const sql = async (text: string) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  return {
    name: 'postgres',
    fresh: (label) => {
      const schema = `bench_${process.pid}_${label}`;
      schemas.push(schema);
      return { kind: 'postgres', url, schema };
    },
    settle: (loc) => sql(`VACUUM ANALYZE ${(loc as { schema: string }).schema}.rollups`),
    dispose: async () => {
      for (const s of schemas) await sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    },
  };
}

async function setup(repo: CloudSinkRepository, size: BenchSize): Promise<string> {
  const t0 = Date.now();
  const data = referenceData(size);
  for (const kind of IMPORT_ORDER) {
    const rows = data[kind];
    if (rows) await importParsed(repo, kind, { rows, text: JSON.stringify(rows), headerErrors: [] }, `bench:${kind}`);
  }
  let n = 0;
  for (const chunk of rollupChunks(size, 20_000))
    n += (await repo.ingest({ rollups: decodeRollups(chunk), deadLetters: [] })).applied;
  return `${size.products} products, ${data.orders!.length} orders, ${n} rollups stored in ${seconds(Date.now() - t0)}`;
}

async function recomputeAll(pcf: PcfService, size: BenchSize, figures: Figures): Promise<void> {
  const ids = Array.from({ length: size.products }, (_, i) =>
    productId(Math.floor(i / (size.products / LEVELS)), i % (size.products / LEVELS)),
  );
  const t0 = Date.now(),
    c0 = cpuMs();
  let results = 0;
  for (let m = 0; m < size.months; m++) {
    const calc = await pcf.precomputePeriod(optionsFor(m));
    for (const id of ids) {
      calc.product(id);
      results++;
    }
  }
  const ms = Date.now() - t0;
  figures.set('recomputeAllSec', {
    value: ms / 1000,
    unit: 's',
    text: `${results} results in ${seconds(ms)} wall, ${seconds(cpuMs() - c0)} CPU (target ≤ 30 s)`,
  });
}

/** p95 of `runs` ad-hoc calculations of random (product, month) pairs. */
async function adHocRuns(pcf: PcfService, size: BenchSize, runs: number, key: string, figures: Figures): Promise<void> {
  const rnd = prng(99);
  const perLevel = size.products / LEVELS;
  await pcf.calculateProduct(productId(0, 0), optionsFor(0), undefined, 'doc'); // the reference snapshot kept
  const times: number[] = [],
    cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const p = productId(Math.floor(rnd() * LEVELS), Math.floor(rnd() * perLevel));
    const t0 = process.hrtime.bigint(),
      c0 = cpuMs();
    await pcf.calculateProduct(p, optionsFor(Math.floor(rnd() * size.months)), undefined, 'doc');
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpus.push(cpuMs() - c0);
  }
  figures.set(`adHocP95Ms.${key}`, {
    value: quantile(times, 0.95),
    unit: 'ms',
    text: `${runs} runs: wall p50 ${quantile(times, 0.5).toFixed(1)} ms, p95 ${quantile(times, 0.95).toFixed(1)} ms; CPU p95 ${quantile(cpus, 0.95).toFixed(1)} ms (target ≤ 100 ms)`,
  });
}

/** Setup, recompute and ad-hoc on one store, closed before the ingest phase (the consumer runs in its own process). */
async function pcfPhases(store: BenchStore, size: BenchSize, figures: Figures): Promise<void> {
  const loc = store.fresh('pcf');
  const repo = await openRepository(loc, { migrate: true });
  try {
    log(`[${store.name}] setup: ${await setup(repo, size)}`);
    await store.settle(loc);
    const pcf = new PcfService(repo);
    await recomputeAll(pcf, size, figures);
    log(`[${store.name}] recompute every product's monthly PCF: ${figures.get('recomputeAllSec')!.text}`);
    await adHocRuns(pcf, size, 100, 'precomputed', figures);
    log(
      `[${store.name}] ad-hoc, months precomputed (fingerprint checked per call): ${figures.get('adHocP95Ms.precomputed')!.text}`,
    );
    const { rollupFingerprint: _f, ...uncached } = repo;
    await adHocRuns(new PcfService(uncached), size, 40, 'cold', figures);
    log(
      `[${store.name}] ad-hoc, cold (the BOM closure's energy read per call): ${figures.get('adHocP95Ms.cold')!.text}`,
    );
  } finally {
    await repo.close();
  }
}

/** The bench gateway's key: every record is signed by it, as the exporter signs (ADR 0193), and verified on ingest. */
const BENCH_KEY = newGatewayKey();
const BENCH_SIGNER = batchSigner(BENCH_KEY);

/** Registers the bench gateway's key for site-1 in `repo`'s database, so its consumers verify its records. */
async function registerBenchGateway(repo: CloudSinkRepository): Promise<void> {
  await openSecurityStore(repo).addGatewayKey({
    keyId: BENCH_KEY.kid,
    gatewayId: 'bench-gw',
    publicKey: BENCH_KEY.x,
    sites: ['site-1'],
  });
}

/** Puts `total` rollups on a 4-shard stream of a kinesalite in its own process (Kinesis is remote in production). */
async function fillStream(total: number): Promise<LocalKinesis> {
  const k = await startLocalKinesisProcess({ shards: 4, streams: ['bench'] });
  const months = Math.ceil(total / (20 * 2976)) + 1;
  let put = 0,
    seq = 0;
  for (const chunk of rollupChunks({ lines: 20, months }, 5000, false)) {
    const take = chunk.slice(0, total - put);
    const records = [];
    for (let i = 0; i < take.length; i += 250)
      records.push({
        Data: BENCH_SIGNER.sign(
          Buffer.from(JSON.stringify(makeRollupBatch('bench-gw', 'site-1', take.slice(i, i + 250), new Date()))),
        ),
        PartitionKey: `pk-${seq++}`,
      });
    await k.client.send(new PutRecordsCommand({ StreamName: 'bench', Records: records }));
    put += take.length;
    if (put >= total) break;
  }
  return k;
}

/** One consumer in this process over every shard: the SQLite figure, and (with a repository storing nothing) the bare one. */
async function ingestInProcess(
  k: LocalKinesis,
  repo: CloudSinkRepository,
  verify?: BatchVerifier,
): Promise<{ rollups: number; ms: number; cpu: number }> {
  const consumer = createKinesisConsumer(
    {
      stream: 'bench',
      endpoint: k.endpoint,
      pollIntervalMs: 50,
      recordsPerRead: 100,
      retryDelayMs: 200,
      stopWhenIdle: true,
    },
    { repo, log: silentLogger(), ...(verify ? { verify } : {}) },
  );
  const t0 = Date.now(),
    c0 = cpuMs();
  await consumer.start();
  await consumer.done();
  await consumer.stop();
  return { rollups: consumer.stats.rollups, ms: Date.now() - t0, cpu: cpuMs() - c0 };
}

/** Two consumer processes of two shards each on one PostgreSQL schema, started together once both are ready. */
async function ingestTwoProcesses(k: LocalKinesis, loc: StoreLocation & { kind: 'postgres' }) {
  const children = [
    ['shardId-000000000000', 'shardId-000000000001'],
    ['shardId-000000000002', 'shardId-000000000003'],
  ].map((shards) =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts/bench/pcf-consumer.ts'),
        '--stream',
        'bench',
        '--endpoint',
        k.endpoint,
        '--shards',
        shards.join(','),
      ],
      {
        env: { ...process.env, PCF_EDGE_DATABASE_URL: loc.url, PCF_EDGE_DATABASE_SCHEMA: loc.schema },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    ),
  );
  const lines = children.map((c) => createInterface({ input: c.stdout }));
  const next = (i: number) => new Promise<string>((r) => lines[i]!.once('line', r));
  await Promise.all(children.map((_, i) => next(i).then((l) => l === 'ready' || Promise.reject(new Error(l)))));
  const results = children.map((_, i) => next(i));
  const t0 = Date.now();
  for (const c of children) c.stdin.end('go\n');
  const out = (await Promise.all(results)).map(
    (l) => JSON.parse(l) as { rollups: number; errors: number; cpuMs: number },
  );
  const ms = Date.now() - t0;
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  return {
    rollups: out.reduce((s, x) => s + x.rollups, 0),
    ms,
    cpu: out.reduce((s, x) => s + x.cpuMs, 0),
    errors: out.reduce((s, x) => s + x.errors, 0),
  };
}

/** The PostgreSQL postmaster's pid when the server runs on this machine (our backend's parent), else undefined. */
async function postmasterPid(repo: CloudSinkRepository): Promise<number | undefined> {
  if (repo.connection?.kind !== 'postgres') return undefined;
  const { rows } = await repo.connection.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = processStat(Number(rows[0]!.pid));
  return backend && processStat(backend.ppid) ? backend.ppid : undefined;
}

/** A repository that stores nothing: the bare baseline (Kinesis reads, decoding, batching). */
const nothingStored = {
  getCheckpoints: () => Promise.resolve(new Map<string, string>()),
  ingest: (w: { rollups: unknown[] }) => Promise.resolve({ applied: w.rollups.length, ignored: 0, deadLettered: 0 }),
} as unknown as CloudSinkRepository;

async function ingestPhase(stores: BenchStore[], total: number, all: Map<string, Figures>): Promise<void> {
  const k = await fillStream(total);
  try {
    // the baseline verifies every signature as the stores' consumers do (keys read once from a scratch SQLite file)
    const keyDir = mkdtempSync(join(tmpdir(), 'pcf-bench-keys-'));
    const keys = await openRepository(storeLocation({ db: join(keyDir, 'keys.sqlite') }, {}), { migrate: true });
    await registerBenchGateway(keys);
    const bare = await ingestInProcess(k, nothingStored, createBatchVerifier(openSecurityStore(keys)));
    await keys.close();
    rmSync(keyDir, { recursive: true, force: true });
    all.set(
      'bare',
      new Map([
        [
          'ingestRollupsPerSec',
          {
            value: bare.rollups / (bare.ms / 1000),
            unit: 'rollups/s',
            text: `read and decode only, one consumer: ${bare.rollups} rollups in ${seconds(bare.ms)} wall, ${seconds(bare.cpu)} CPU`,
          },
        ],
      ]),
    );
    log(`[bare] ingest baseline, ${all.get('bare')!.get('ingestRollupsPerSec')!.text}`);
    for (const store of stores) {
      const loc = store.fresh('ingest');
      const repo = await openRepository(loc, { migrate: true });
      await registerBenchGateway(repo);
      let r: { rollups: number; ms: number; cpu: number };
      let how: string;
      if (loc.kind === 'postgres') {
        // the server's CPU beside the consumers' (a local server only: its postmaster is our backend's parent)
        const postmaster = await postmasterPid(repo);
        const s0 = postmaster === undefined ? undefined : serverTreeCpuSec(postmaster);
        r = await ingestTwoProcesses(k, loc);
        const s1 = postmaster === undefined ? undefined : serverTreeCpuSec(postmaster);
        how = 'two consumer processes of two shards each';
        if (s0 !== undefined && s1 !== undefined)
          how += ` (PostgreSQL server CPU ${(s1 - s0).toFixed(2)} s = ${Math.round(r.rollups / (s1 - s0))} rollups per server CPU-s)`;
      } else {
        r = await ingestInProcess(k, repo);
        how = 'one consumer';
      }
      const stored = await repo.countRollups();
      await repo.close();
      const rate = r.rollups / (r.ms / 1000);
      all.get(store.name)!.set('ingestRollupsPerSec', {
        value: rate,
        unit: 'rollups/s',
        text: `${how}: ${r.rollups} rollups in ${seconds(r.ms)} wall = ${Math.round(rate)}/s; ${seconds(r.cpu)} consumer CPU = ${Math.round(r.rollups / (r.cpu / 1000))}/CPU-s; stored ${stored} (target ≥ 20,000/s)`,
      });
      log(`[${store.name}] ingest, ${all.get(store.name)!.get('ingestRollupsPerSec')!.text}`);
    }
  } finally {
    await k.stop();
  }
}

const TARGETS: Record<string, string> = {
  recomputeAllSec: 'target <= 30',
  'adHocP95Ms.precomputed': 'target <= 100',
  'adHocP95Ms.cold': 'target <= 100',
  ingestRollupsPerSec: 'target >= 20000',
};

function sideBySide(all: Map<string, Figures>): void {
  const names = ['recomputeAllSec', 'adHocP95Ms.precomputed', 'adHocP95Ms.cold', 'ingestRollupsPerSec'];
  const stores = [...all.keys()];
  log(`\n${'figure'.padEnd(26)}${stores.map((s) => s.padStart(18)).join('')}`);
  for (const n of names) {
    const cells = stores.map((s) => {
      const f = all.get(s)!.get(n);
      return (f ? `${f.value < 100 ? f.value.toFixed(1) : Math.round(f.value)} ${f.unit}` : '-').padStart(18);
    });
    log(`${n.padEnd(26)}${cells.join('')}`);
  }
  log('');
  // machine-readable figures for npm run bench (scripts/bench/report.ts)
  for (const [store, figures] of all)
    for (const [n, f] of figures)
      log(
        `BENCH pcf.${store}.${n}=${f.value < 100 ? f.value.toFixed(1) : Math.round(f.value)} ${f.unit}${store === 'bare' ? '' : ` ${TARGETS[n]}`}`,
      );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      stores: { type: 'string' },
      phases: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    log(
      'usage: npm run bench:pcf -- [--quick] [--stores sqlite,postgres] [--phases pcf,ingest,history]   (PostgreSQL: set PCF_EDGE_DATABASE_URL)',
    );
    return;
  }
  const phases = new Set((values.phases ?? PHASES.join(',')).split(','));
  const unknownPhase = [...phases].filter((p) => !PHASES.includes(p));
  if (unknownPhase.length > 0)
    throw new Error(`--phases: no phase ${unknownPhase.join(', ')} (phases: ${PHASES.join(', ')})`);
  const size = values.quick ? QUICK : FULL;
  const wanted = (values.stores ?? 'sqlite,postgres').split(',') as StoreName[];
  const dir = mkdtempSync(join(tmpdir(), 'bench-pcf-'));
  const pg = storeLocation({}, process.env);
  const stores: BenchStore[] = [];
  if (wanted.includes('sqlite')) stores.push(sqliteStore(dir));
  if (wanted.includes('postgres')) {
    if (pg.kind === 'postgres') stores.push(postgresStore(pg.url));
    else log('postgres: skipped (set PCF_EDGE_DATABASE_URL=postgres://… to measure it)');
  }
  log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} CPUs`,
  );
  const all = new Map<string, Figures>(stores.map((s) => [s.name, new Map()]));
  try {
    if (phases.has('pcf')) for (const s of stores) await pcfPhases(s, size, all.get(s.name)!);
    if (phases.has('ingest')) await ingestPhase(stores, size.ingestRollups, all);
    sideBySide(all);
    if (phases.has('history')) await historyCost(dir, size);
    log(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (figures are indicative on a shared machine)`,
    );
  } finally {
    for (const s of stores) await s.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
