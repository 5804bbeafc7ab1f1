/**
 * Fleet benchmark: `npm run bench:fleet -- [options]` (--help). How the cloud half scales with consumers.
 *
 * N simulated gateways (scripts/bench/fleet-gateway.ts: the stream exporter's message builder and Kinesis sink)
 * put validated rollup batches into a local Kinesis (kinesalite, its own process) with S = C × shards-per-consumer
 * shards; C consumer processes (scripts/bench/fleet-consumer.ts: cloud-sink's shard poller, a shard set each) store
 * them in PostgreSQL, one fresh schema per run. Authenticated ingest (ADR 0193): each gateway signs every message
 * with its own Ed25519 key, made afresh per run and kept in memory (handed to child processes over IPC, never argv,
 * files or logs); every schema has each gateway's public key registered for its site before anything is consumed,
 * so the consumers' figures include verifying every signature. For each C the same data is pre-loaded into a fresh stream first
 * (timed as the put figure), then consumed by all C at once (timed from `go` until the last consumer is caught up),
 * so the consumers, not the gateways, set the pace. Then the store is checked against the data's expected final
 * state: every rollup at its highest revision with identical content (lost = missing or wrong), no row that was not
 * sent and no (id, revision) applied twice (duplicated); every dead-lettered record counts as lost (all records sent
 * are valid and signed) and the dead letters are printed. Bare baselines in the same run: the same signed records
 * verified, decoded and stored without Kinesis by one process, and every record read from Kinesis without decoding
 * or storing.
 * A live phase measures end-to-end lag: gateways put one message every interval while consumers poll; lag is from
 * a message being handed to the sink until the consumer's write holding it committed (sampled rollups).
 * Per-process CPU (gateways, kinesalite, each consumer, PostgreSQL backends) comes from /proc and names the bound.
 * Needs PCF_EDGE_DATABASE_URL (or PCF_EDGE_TEST_DATABASE_URL). Progress on stderr; results and BENCH lines on stdout.
 * Exit 0 when done with nothing lost (no dead letter either) or duplicated, 1 otherwise, 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { expectedState, gatewayKeys, type FleetShape } from './fleet-data';
import { openAdmin, progress } from './fleet-run';
import { liveLag } from './fleet-lag';
import { scaleRun, storeBaseline, type FleetOptions, type ScaleResult } from './fleet-phases';

const HELP = `usage: npm run bench:fleet -- [options]

  --gateways <n>             simulated gateways (default 200)
  --meters <n>               meters per gateway: a 1-min energy and a 1-min power rollup each (default 8)
  --lines <n>                lines per gateway: a 1-min line rollup each, plus one site rollup (default 2)
  --minutes <n>              simulated minutes per gateway, one message each (default 30)
  --consumers <list>         consumer counts to compare on the same data (default 1,2,4)
  --shards-per-consumer <n>  shards per consumer: S = C × n (default 1)
  --gateway-processes <n>    processes the gateways are spread over (default 2)
  --records-per-read <n>     GetRecords Limit, records per ingest transaction (default 500)
  --live-sec <n>             live phase length for the lag figures, 0 to skip (default 20)
  --live-interval-ms <n>     live phase: one message per gateway every n ms (default 2000)
  --live-consumers <n>       live phase consumers (default 2)
  --poll-interval-ms <n>     consumer wait after an empty read at the tip (default 200)
  --keep                     keep the benchmark's PostgreSQL schemas (fleet_*) afterwards
  --help

Needs PCF_EDGE_DATABASE_URL (or PCF_EDGE_TEST_DATABASE_URL) naming a PostgreSQL database; the benchmark creates and
drops schemas fleet_* in it. Indicative only on a shared machine: CPU per process is printed beside each figure.`;

const log = (text: string) => process.stdout.write(`${text}\n`);
const int = (v: string | undefined, name: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${v}`);
  return n;
};
class UsageError extends Error {}

function options() {
  const { values } = parseArgs({
    options: {
      gateways: { type: 'string', default: '200' },
      meters: { type: 'string', default: '8' },
      lines: { type: 'string', default: '2' },
      minutes: { type: 'string', default: '30' },
      consumers: { type: 'string', default: '1,2,4' },
      'shards-per-consumer': { type: 'string', default: '1' },
      'gateway-processes': { type: 'string', default: '2' },
      'records-per-read': { type: 'string', default: '500' },
      'live-sec': { type: 'string', default: '20' },
      'live-interval-ms': { type: 'string', default: '2000' },
      'live-consumers': { type: 'string', default: '2' },
      'poll-interval-ms': { type: 'string', default: '200' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const shape: FleetShape = {
    gateways: int(values.gateways, 'gateways', 1),
    meters: int(values.meters, 'meters', 1),
    lines: int(values.lines, 'lines', 1),
    minutes: int(values.minutes, 'minutes', 1),
    startMs: Date.UTC(2026, 10, 2),
    reviseEvery: 15,
    resendEvery: 25,
  };
  const consumers = values.consumers.split(',').map((c) => int(c, 'consumers', 1));
  return {
    help: values.help,
    keep: values.keep,
    shape,
    consumers,
    shardsPerConsumer: int(values['shards-per-consumer'], 'shards-per-consumer', 1),
    gatewayProcesses: int(values['gateway-processes'], 'gateway-processes', 1),
    recordsPerRead: int(values['records-per-read'], 'records-per-read', 1),
    liveSec: int(values['live-sec'], 'live-sec', 0),
    liveIntervalMs: int(values['live-interval-ms'], 'live-interval-ms', 100),
    liveConsumers: int(values['live-consumers'], 'live-consumers', 1),
    pollIntervalMs: int(values['poll-interval-ms'], 'poll-interval-ms', 0),
  };
}

function printScale(r: ScaleResult, first: ScaleResult): void {
  log(
    `C=${r.consumers} S=${r.shards}: put ${r.put.rollups} rollups in ${r.put.records} records (${Math.round(r.put.bytes / r.put.records)} bytes each) at ${Math.round(r.put.rate)} rollups/s (bound: ${r.put.bound})`,
  );
  log(
    `  consume ${r.consume.rollups} rollups in ${r.consume.sec.toFixed(2)} s = ${Math.round(r.consume.rate)} rollups/s (${(r.consume.rate / first.consume.rate).toFixed(2)}× C=${first.consumers}); bound: ${r.consume.bound}`,
  );
  log(
    `  CPU (cores): ${r.consume.cpu}; per rollup: consumers ${r.consume.consumerUs.toFixed(1)} µs, PostgreSQL ${r.consume.postgresUs.toFixed(1)} µs`,
  );
  log(
    `  check: ${r.check.rows} rows, ${r.check.lost} lost, ${r.check.duplicated} duplicated, ${r.check.deadLetters} dead letters, ${r.check.redelivered} records read twice, ${r.check.errors} retried errors`,
  );
}

async function main(): Promise<number> {
  let o: ReturnType<typeof options>;
  try {
    o = options();
  } catch (err) {
    process.stderr.write(`bench:fleet: ${(err as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (o.help) {
    log(HELP);
    return 0;
  }
  const dbUrl = process.env.PCF_EDGE_DATABASE_URL || process.env.PCF_EDGE_TEST_DATABASE_URL;
  if (!dbUrl) {
    process.stderr.write('bench:fleet: set PCF_EDGE_DATABASE_URL to a PostgreSQL database (see --help)\n');
    return 2;
  }
  const { help: _h, keep: _k, ...rest } = o;
  const opts: FleetOptions = { ...rest, dbUrl, keys: gatewayKeys(o.shape.gateways) };
  const admin = await openAdmin(dbUrl);
  const schemas: string[] = [];
  try {
    progress(`computing the expected state of ${o.shape.gateways} gateways × ${o.shape.minutes} minutes`);
    const expected = expectedState(o.shape);
    log(
      `fleet: ${o.shape.gateways} gateways, ${expected.records} records, ${expected.rollupsSent} rollups sent, ${expected.rows.size} distinct rollups; load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.cpus().length} CPUs (shared machine: indicative figures)`,
    );
    const results: ScaleResult[] = [];
    for (const c of o.consumers) {
      schemas.push(`fleet_c${c}`);
      const r = await scaleRun(opts, admin, expected, c, results.length === 0);
      results.push(r);
      printScale(r, results[0]!);
    }
    schemas.push('fleet_base');
    const base = await storeBaseline(opts, admin, expected);
    log(
      `bare baseline, store only (1 process, no Kinesis): ${Math.round(base.rate)} rollups/s, consumer ${base.consumerUs.toFixed(1)} µs and PostgreSQL ${base.postgresUs.toFixed(1)} µs CPU per rollup; bound: ${base.bound}; lost ${base.lost}, duplicated ${base.duplicated}, ${base.deadLetters} dead letters`,
    );
    const lag = o.liveSec > 0 ? (schemas.push('fleet_live'), await liveLag(opts, admin)) : undefined;
    if (lag)
      log(
        `live: ${lag.samples} sampled rollups, lag p50 ${lag.p50} ms, p95 ${lag.p95} ms, max ${lag.max} ms at ${Math.round(lag.rate)} rollups/s offered; bound: ${lag.bound}; CPU (cores): ${lag.cpu}; lost ${lag.lost}, duplicated ${lag.duplicated}, ${lag.deadLetters} dead letters`,
      );
    return report(results, base, lag);
  } finally {
    if (!o.keep) for (const s of schemas) await admin.dropSchema(s);
    await admin.close();
  }
}

function report(
  results: ScaleResult[],
  base: Awaited<ReturnType<typeof storeBaseline>>,
  lag: Awaited<ReturnType<typeof liveLag>> | undefined,
): number {
  const first = results[0]!;
  // machine-readable figures for npm run bench (scripts/bench/report.ts, ADR 0101)
  log(`BENCH fleet.baseline.storeOnlyRollupsPerSec=${Math.round(base.rate)} rollups/s`);
  log(`BENCH fleet.baseline.storeOnlyConsumerCpuUsPerRollup=${base.consumerUs.toFixed(1)} µs`);
  if (first.read) log(`BENCH fleet.baseline.kinesisReadRollupsPerSec=${Math.round(first.read.rate)} rollups/s`);
  log(`BENCH fleet.putRollupsPerSec=${Math.round(first.put.rate)} rollups/s`);
  for (const r of results) {
    log(`BENCH fleet.c${r.consumers}.rollupsPerSec=${Math.round(r.consume.rate)} rollups/s`);
    log(`BENCH fleet.c${r.consumers}.consumerCpuUsPerRollup=${r.consume.consumerUs.toFixed(1)} µs`);
    log(`BENCH fleet.c${r.consumers}.postgresCpuUsPerRollup=${r.consume.postgresUs.toFixed(1)} µs`);
    log(`BENCH fleet.c${r.consumers}.lost=${r.check.lost} rollups target = 0`);
    log(`BENCH fleet.c${r.consumers}.duplicated=${r.check.duplicated} rollups target = 0`);
    log(`BENCH fleet.c${r.consumers}.deadLetters=${r.check.deadLetters} records target = 0`);
  }
  const two = results.find((r) => r.consumers === 2);
  if (two && first.consumers === 1)
    log(`BENCH fleet.c2OverC1=${(two.consume.rate / first.consume.rate).toFixed(2)} × target >= 1.5`);
  if (lag) {
    log(`BENCH fleet.lagP50Ms=${lag.p50} ms`);
    log(`BENCH fleet.lagP95Ms=${lag.p95} ms`);
    log(`BENCH fleet.lagMaxMs=${lag.max} ms`);
  }
  const bad =
    results.some((r) => r.check.lost + r.check.duplicated > 0) ||
    base.lost + base.duplicated > 0 ||
    (lag && lag.lost + lag.duplicated > 0);
  return bad ? 1 : 0;
}

// exit explicitly: after a failure, children still holding IPC channels would keep this process alive (the exit
// handler in fleet-run.ts kills them)
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
