/**
 * Export benchmark: `npm run bench:export -- [--rollups N] [--per-message M] [--in-flight F] [--shards S]`.
 *
 * kinesalite and the local Stream Manager run as their own processes (as Kinesis and Stream Manager do); the
 * exporter runs in this one.
 * 1. Pipeline: a gateway store holding a backlog of N (default 1,000,000) one-minute rollups in its outbox is
 *    drained by the stream exporter (M rollups per message, F appends in flight) through the local Stream Manager
 *    (File stream, Kinesis export, batchSize 500) into kinesalite. Timed from start until Stream Manager reports
 *    the last message exported. The records are read back and counted.
 * 2. Bare: the very same message payloads (read back from the Stream Manager stream) put to another stream of the
 *    same kinesalite with PutRecords, one call at a time, ≤ 500 records and ≤ 5 MiB per call (as the export).
 * 3. Client: AppendMessage of 1 KiB payloads to a Memory stream with 64 requests in flight vs 1, ~4 s each.
 * Prints a table. Exit 0 on completion, 1 on a failed check (lost rollups), 2 on bad arguments.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteStreamCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { rollupId, silentLogger, systemClock, type MeterCounterRollup } from '@pcf-edge/core';
import { openStore, type GatewayStore } from '@pcf-edge/store';
import { createStreamManagerClient, type StreamManagerClient } from '@pcf-edge/stream-manager-client';
import {
  createStreamExporter,
  EXPORTER_MMAP_BYTES,
  createStreamManagerSink,
  parseExporterConfig,
  type StreamExporterConfig,
} from '@pcf-edge/stream-exporter';
import { createLocalStream, readAllRecords, startLocalKinesisProcess } from '../../test-support/kinesis';

const HELP = `usage: npm run bench:export -- [--rollups N] [--per-message M] [--in-flight F] [--shards S]
  --rollups N      backlog of rollups in the outbox (default 1000000)
  --per-message M  maxRollupsPerMessage of the exporter (default 500)
  --in-flight F    exporter appends in flight (default 8)
  --shards S       shards of each kinesalite stream (default 2)`;

function parse(): { rollups: number; perMessage: number; inFlight: number; shards: number } {
  const { values } = parseArgs({
    options: {
      rollups: { type: 'string' },
      'per-message': { type: 'string' },
      'in-flight': { type: 'string' },
      shards: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, dflt: number, max: number): number => {
    const n = text === undefined ? dflt : Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      process.stderr.write(`--${name} must be an integer in 1…${max}, got ${JSON.stringify(text)}\n${HELP}\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    rollups: int('rollups', values.rollups, 1_000_000, 100_000_000),
    perMessage: int('per-message', values['per-message'], 500, 10_000),
    inFlight: int('in-flight', values['in-flight'], 8, 64),
    shards: int('shards', values.shards, 2, 50),
  };
}

const T0 = Date.UTC(2026, 10, 1);
function rollup(i: number): MeterCounterRollup {
  const meterId = `m${i % 200}`;
  const windowStartMs = T0 + Math.floor(i / 200) * 60_000;
  return {
    id: rollupId({
      type: 'meterCounter',
      site: 'plant1',
      line: `L${i % 7}`,
      meterId,
      point: 'energy',
      windowMs: 60_000,
      windowStartMs,
    }),
    revision: 1,
    type: 'meterCounter',
    site: 'plant1',
    line: `L${i % 7}`,
    meterId,
    point: 'energy',
    quantity: 'activeEnergyImport',
    kind: 'counter',
    unit: 'kWh',
    windowStart: new Date(windowStartMs).toISOString(),
    windowMs: 60_000,
    coverage: 1,
    estimated: false,
    flags: [],
    delta: Math.round(i * 0.137 * 1000) / 1000,
    methods: ['measured'],
    readingCount: 6,
  };
}

function fillOutbox(store: GatewayStore, n: number): void {
  const now = Date.now();
  for (let start = 0; start < n; start += 10_000) {
    const list = Array.from({ length: Math.min(10_000, n - start) }, (_, k) => rollup(start + k));
    store.transaction(() => {
      store.putRollups(list, now);
      store.enqueueOutbox(
        list.map((r) => ({ rollupId: r.id, revision: 1, windowStartMs: Date.parse(r.windowStart) })),
        now,
      );
    });
  }
}

function stage(what: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${what}\n`);
}

async function until(check: () => Promise<boolean> | boolean, pollMs = 100): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, pollMs));
}

async function readStream(client: StreamManagerClient, name: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let next = 0n;
  for (;;) {
    const info = await client.describeMessageStream(name);
    if (next > info.storageStatus.newestSequenceNumber) return out;
    const msgs = await client.readMessages(name, { desiredStartSequenceNumber: next, maxMessageCount: 200 });
    for (const m of msgs) out.push(m.payload);
    next = msgs[msgs.length - 1]!.sequenceNumber + 1n;
  }
}

/** PutRecords one call at a time, ≤ 500 records and ≤ 5 MiB per call, retrying rejected records. */
async function barePut(kinesis: KinesisClient, stream: string, payloads: Buffer[]): Promise<void> {
  let i = 0;
  while (i < payloads.length) {
    const batch: Buffer[] = [];
    let bytes = 0;
    while (
      i < payloads.length &&
      batch.length < 500 &&
      (batch.length === 0 || bytes + payloads[i]!.length <= 5 * 1024 * 1024)
    ) {
      bytes += payloads[i]!.length;
      batch.push(payloads[i++]!);
    }
    let pending = batch;
    while (pending.length > 0) {
      const r = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: pending.map((d) => ({ Data: d, PartitionKey: crypto.randomUUID() })),
        }),
      );
      pending = pending.filter((_, k) => r.Records?.[k]?.ErrorCode !== undefined);
    }
  }
}

async function appendRate(
  client: StreamManagerClient,
  stream: string,
  inFlight: number,
  seconds: number,
): Promise<number> {
  const payload = Buffer.alloc(1024, 0x61);
  const deadline = Date.now() + seconds * 1000;
  let count = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < deadline) {
        await client.appendMessage(stream, payload);
        count++;
      }
    }),
  );
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** BENCH_CPU_PROF=<dir>: the child processes write V8 CPU profiles there (run this one with node --cpu-prof too). */
function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined where unreadable. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** The local Stream Manager as its own process, as on a gateway. */
async function startStreamManagerProcess(
  dir: string,
  kinesisEndpoint: string,
): Promise<{ port: number; pid: number | undefined; stop(): Promise<void> }> {
  const main = join(__dirname, '..', '..', 'simulators', 'stream-manager', 'src', 'main.ts');
  const child = spawn(
    process.execPath,
    [...profileArgs(), '--import', 'tsx', main, '--port', '0', '--dir', dir, '--kinesis-endpoint', kinesisEndpoint],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`stream-manager exited (${code}) before listening`)));
  });
  return {
    port,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const args = parse();
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
  const kinesis = await startLocalKinesisProcess({
    shards: args.shards,
    streams: ['bench-pipeline'],
    execArgv: profileArgs(),
  });
  const sm = await startStreamManagerProcess(join(dir, 'sm'), kinesis.endpoint);
  const port = sm.port;
  const store = openStore(join(dir, 'gateway.sqlite'), { mmapBytes: EXPORTER_MMAP_BYTES });
  try {
    let t = Date.now();
    fillOutbox(store, args.rollups);
    process.stderr.write(`outbox filled with ${args.rollups} rollups in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);

    const config = parseExporterConfig({
      gatewayId: 'gw-bench',
      site: 'plant1',
      streamName: 'bench',
      kinesisStreamName: 'bench-pipeline',
      streamManager: { port },
      maxRollupsPerMessage: args.perMessage,
      inFlight: args.inFlight,
      pollIntervalMs: 50,
      maxSizeBytes: 64 * 1024 ** 3,
    }) as StreamExporterConfig;
    const client = createStreamManagerClient({ port, env: {} });
    const exporter = createStreamExporter(config, {
      store,
      sink: createStreamManagerSink(config, client),
      clock: systemClock,
      log: silentLogger(),
    });
    t = Date.now();
    const cpuBefore = { exporter: process.cpuUsage(), sm: processCpuSeconds(sm.pid) };
    exporter.start();
    await until(() => store.pendingOutbox(1).length === 0, 100);
    const drainedS = (Date.now() - t) / 1000;
    await until(async () => {
      const info = await client.describeMessageStream('bench');
      return info.exportStatuses[0]!.lastExportedSequenceNumber === info.storageStatus.newestSequenceNumber;
    }, 200);
    const pipelineS = (Date.now() - t) / 1000;
    const exporterCpu = process.cpuUsage(cpuBefore.exporter);
    const smCpuS = (processCpuSeconds(sm.pid) ?? NaN) - (cpuBefore.sm ?? NaN);
    await exporter.stop();
    stage(`pipeline done in ${pipelineS.toFixed(1)} s; reading the records back`);
    const exported = await readAllRecords(kinesis.client, 'bench-pipeline', 40);
    const arrived = exported.reduce(
      (n, r) => n + (JSON.parse(r.toString()) as { rollups: unknown[] }).rollups.length,
      0,
    );
    stage(`${arrived} rollups read back from Kinesis; reading the Stream Manager stream`);
    const payloads = await readStream(client, 'bench');
    const payloadBytes = payloads.reduce((n, p) => n + p.length, 0);
    await kinesis.client.send(new DeleteStreamCommand({ StreamName: 'bench-pipeline' }));

    await createLocalStream(kinesis.client, 'bench-bare', args.shards);
    stage('bare PutRecords');
    t = Date.now();
    await barePut(kinesis.client, 'bench-bare', payloads);
    const bareS = (Date.now() - t) / 1000;
    await kinesis.client.send(new DeleteStreamCommand({ StreamName: 'bench-bare' }));

    stage(`bare done in ${bareS.toFixed(1)} s; AppendMessage rates`);
    await client.createMessageStream({
      name: 'append-bench',
      strategyOnFull: 1,
      persistence: 1,
      maxSize: 256n * 1024n * 1024n,
    });
    const rate64 = await appendRate(client, 'append-bench', 64, 4);
    const rate1 = await appendRate(client, 'append-bench', 1, 4);
    client.close();

    const pipelineRate = args.rollups / pipelineS;
    const bareRate = args.rollups / bareS;
    const rows: [string, string][] = [
      ['rollups in backlog', String(args.rollups)],
      ['messages (rollups/message)', `${payloads.length} (${args.perMessage})`],
      ['payload bytes', `${(payloadBytes / 1024 ** 2).toFixed(1)} MiB`],
      ['rollups arrived in Kinesis', `${arrived}${arrived === args.rollups ? '' : '  ** MISMATCH **'}`],
      [
        'outbox drained into Stream Manager',
        `${drainedS.toFixed(1)} s (${Math.round(args.rollups / drainedS)} rollups/s)`,
      ],
      ['pipeline outbox → SM → Kinesis', `${pipelineS.toFixed(1)} s (${Math.round(pipelineRate)} rollups/s)`],
      [
        'CPU during the pipeline: exporter, SM',
        `${((exporterCpu.user + exporterCpu.system) / 1e6).toFixed(1)} s, ${smCpuS.toFixed(1)} s (this process includes the bench's polling)`,
      ],
      ['bare PutRecords, same payloads', `${bareS.toFixed(1)} s (${Math.round(bareRate)} rollups/s)`],
      ['ratio pipeline / bare (target ≥ 0.7)', (pipelineRate / bareRate).toFixed(2)],
      ['AppendMessage 1 KiB, 64 in flight', `${Math.round(rate64)} messages/s`],
      ['AppendMessage 1 KiB, 1 in flight', `${Math.round(rate1)} messages/s`],
      ['speed-up 64 vs 1 in flight', `${(rate64 / rate1).toFixed(1)}x`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(
      `\nbench:export (kinesalite ${kinesis.endpoint}, ${args.shards} shards, exporter in-flight ${args.inFlight})\n`,
    );
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
    // machine-readable figures for npm run bench (scripts/bench/report.ts)
    process.stdout.write(
      `BENCH export.pipelineRollupsPerSec=${Math.round(pipelineRate)} rollups/s\nBENCH export.ratioPipelineToBare=${(pipelineRate / bareRate).toFixed(2)} ratio target >= 0.7\nBENCH export.rollupsLost=${args.rollups - arrived} rollups target = 0\nBENCH export.append64InFlightPerSec=${Math.round(rate64)} messages/s\n`,
    );
    if (arrived !== args.rollups) process.exitCode = 1;
  } finally {
    await sm.stop();
    store.close();
    await kinesis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:export failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
