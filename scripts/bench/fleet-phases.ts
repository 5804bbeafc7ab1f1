import type { GatewayJwk } from '@pcf-edge/core';
import type { ConsumerJob, ConsumerReport } from './fleet-consumer';
import { type ExpectedState, type FleetShape } from './fleet-data';
import { boundOf, cpuLine, CpuMeter, type CpuReport } from './fleet-proc';
import { progress, sampleWhile, startConsumers, startGateways, startKinesalite, type Admin } from './fleet-run';

/** The fleet benchmark's phases (scripts/bench/fleet.ts): a scale run per consumer count, the baseline, the lag run. */
export interface FleetOptions {
  shape: FleetShape;
  consumers: number[];
  shardsPerConsumer: number;
  gatewayProcesses: number;
  recordsPerRead: number;
  liveSec: number;
  liveIntervalMs: number;
  liveConsumers: number;
  pollIntervalMs: number;
  dbUrl: string;
  /** Gateway g's signing key (fleet-data.ts `gatewayKeys`), registered in every schema before it is consumed. */
  keys: GatewayJwk[];
}

const shardId = (i: number) => `shardId-${String(i).padStart(12, '0')}`;
/** Consumer i's shards of `shards` dealt round-robin over `consumers`. */
export const dealt = (shards: number, consumers: number, i: number) =>
  Array.from({ length: shards }, (_, s) => s)
    .filter((s) => s % consumers === i)
    .map(shardId);
type Kinesalite = Awaited<ReturnType<typeof startKinesalite>>;

/** Rollups per second over the span from the earliest start to the latest end. */
const rateOf = (rollups: number, startMs: number, endMs: number) => rollups / Math.max(1e-3, (endMs - startMs) / 1000);

/** The gateways put every message of `shape` into `stream` (pre-load, or paced when `live`). */
export async function put(
  o: FleetOptions,
  admin: Admin,
  k: Kinesalite,
  stream: string,
  shape: FleetShape,
  live: boolean,
) {
  const gw = await startGateways(
    { shape, endpoint: k.endpoint, stream, mode: live ? 'live' : 'preload', intervalMs: o.liveIntervalMs },
    o.keys,
    o.gatewayProcesses,
    o.dbUrl,
  );
  const sampler = sampleWhile(
    new CpuMeter(),
    admin,
    () => new Map([[k.pid, 'kinesalite'], ...gw.pids.map((p) => [p, 'gateways'] as const)]),
  );
  await sampler.start();
  gw.go();
  return { gw, sampler };
}

/** C consumers, shards dealt round-robin; resolves when every consumer is caught up (or stopped, when live). */
export async function consume(
  o: FleetOptions,
  admin: Admin,
  k: Kinesalite,
  jobs: ConsumerJob[],
  extra = new Map<number, string>(),
) {
  const group = await startConsumers(jobs, o.dbUrl);
  const sampler = sampleWhile(
    new CpuMeter(),
    admin,
    () =>
      new Map([
        [k.pid, 'kinesalite'],
        ...group.pids.map((p, i) => [p, jobs.length > 1 ? `consumer-${i}` : 'consumer'] as const),
        ...extra,
      ]),
  );
  await sampler.start();
  group.go();
  return { group, sampler };
}

const cpuOf = (r: CpuReport, match: (name: string) => boolean) =>
  r.groups.filter((g) => match(g.name)).reduce((s, g) => s + g.cpuSec, 0);

export function summary(reports: ConsumerReport[], cpu: CpuReport) {
  const rollups = reports.reduce((s, r) => s + r.rollups, 0);
  const startMs = Math.min(...reports.map((r) => r.startMs));
  const endMs = Math.max(...reports.map((r) => r.endMs));
  return {
    rollups,
    sec: (endMs - startMs) / 1000,
    rate: rateOf(rollups, startMs, endMs),
    /** CPU µs per rollup of the consumer processes together and of the PostgreSQL backends: what the model scales. */
    consumerUs: (cpuOf(cpu, (n) => n.startsWith('consumer')) / Math.max(1, rollups)) * 1e6,
    postgresUs: (cpuOf(cpu, (n) => n === 'postgres') / Math.max(1, rollups)) * 1e6,
    bound: boundOf(cpu),
    cpu: cpuLine(cpu),
  };
}

/**
 * The store against the expected state. Lost = rollups missing or not at their expected revision and content, or
 * (id, revision) pairs sent but not kept in the history, whichever is more, plus every dead-lettered record (all
 * records sent are valid and signed, so a dead letter is data refused, counted even when another copy delivered its
 * rollups). Duplicated = rows not sent, plus rows applied or revisions kept beyond the distinct pairs sent.
 */
export async function check(admin: Admin, schema: string, expected: ExpectedState, reports: ConsumerReport[]) {
  const v = await admin.verify(schema, expected);
  const applied = reports.reduce((s, r) => s + r.applied, 0);
  return {
    rows: v.rows,
    lost: Math.max(v.missing + v.mismatched, expected.pairs - v.revisions) + v.deadLetters,
    duplicated: v.unexpected + Math.max(0, applied - expected.pairs) + Math.max(0, v.revisions - expected.pairs),
    deadLetters: v.deadLetters,
    redelivered: reports.reduce((s, r) => s + r.records, 0) - expected.records,
    errors: reports.reduce((s, r) => s + r.errors, 0),
  };
}

export type ScaleResult = Awaited<ReturnType<typeof scaleRun>>;

/** One consumer count: fresh stream of C × shardsPerConsumer shards, pre-load, (bare Kinesis read), consume, check. */
export async function scaleRun(o: FleetOptions, admin: Admin, expected: ExpectedState, c: number, withRead: boolean) {
  const shards = c * o.shardsPerConsumer;
  const stream = `fleet-c${c}`;
  const schema = `fleet_c${c}`;
  await admin.freshSchema(schema, o.keys);
  const k = await startKinesalite(stream, shards);
  try {
    progress(`C=${c}: pre-loading ${stream} (${shards} shards) from ${o.shape.gateways} gateways`);
    const p = await put(o, admin, k, stream, o.shape, false);
    const sent = await p.gw.done();
    const putCpu = await p.sampler.stop();
    const putResult = {
      bytes: sent.bytes,
      records: sent.records,
      rollups: sent.rollups,
      retries: sent.retries,
      rate: rateOf(sent.rollups, sent.startMs, sent.endMs),
      bound: boundOf(putCpu),
    };
    let read: { rate: number; bound: string } | undefined;
    if (withRead) {
      progress(`C=${c}: bare baseline, reading every record without storing`);
      const r = await consume(o, admin, k, [
        job(o, { mode: 'read', schema, stream, endpoint: k.endpoint, shards: [], live: false }),
      ]);
      const [rep] = await r.group.done();
      const cpu = await r.sampler.stop();
      await r.group.exit();
      read = {
        rate: rateOf((rep!.records * expected.rollupsSent) / expected.records, rep!.startMs, rep!.endMs),
        bound: boundOf(cpu),
      };
    }
    progress(`C=${c}: consuming into PostgreSQL schema ${schema}`);
    const jobs = Array.from({ length: c }, (_, i) =>
      job(o, { mode: 'kinesis', schema, stream, endpoint: k.endpoint, shards: dealt(shards, c, i), live: false }),
    );
    const run = await consume(o, admin, k, jobs);
    const reports = await run.group.done();
    const cpu = await run.sampler.stop();
    await run.group.exit();
    return {
      consumers: c,
      shards,
      put: putResult,
      read,
      consume: summary(reports, cpu),
      check: await check(admin, schema, expected, reports),
    };
  } finally {
    await k.stop();
  }
}

export function job(
  o: FleetOptions,
  fields: Pick<ConsumerJob, 'mode' | 'schema' | 'stream' | 'endpoint' | 'shards' | 'live' | 'shape' | 'keys'>,
): ConsumerJob {
  return { ...fields, recordsPerRead: o.recordsPerRead, pollIntervalMs: o.pollIntervalMs };
}

/** Bare baseline: one process decodes and stores the same records as the consumers, without Kinesis. */
export async function storeBaseline(o: FleetOptions, admin: Admin, expected: ExpectedState) {
  const schema = 'fleet_base';
  await admin.freshSchema(schema, o.keys);
  progress(`bare baseline: storing the same records without Kinesis into ${schema}`);
  const group = await startConsumers(
    [
      job(o, {
        mode: 'store',
        schema,
        stream: 'baseline',
        endpoint: '',
        shards: ['baseline'],
        live: false,
        shape: o.shape,
        keys: o.keys,
      }),
    ],
    o.dbUrl,
  );
  const sampler = sampleWhile(new CpuMeter(), admin, () => new Map([[group.pids[0]!, 'consumer']]));
  await sampler.start();
  group.go();
  const reports = await group.done();
  const cpu = await sampler.stop();
  await group.exit();
  const c = await check(admin, schema, { ...expected, records: reports[0]!.records }, reports);
  return { ...summary(reports, cpu), lost: c.lost, duplicated: c.duplicated, deadLetters: c.deadLetters };
}
