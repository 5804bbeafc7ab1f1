/**
 * Fleet benchmark child: one cloud-sink consumer process on PostgreSQL, driven over IPC by scripts/bench/fleet.ts.
 * The database URL comes from PCF_EDGE_DATABASE_URL (never argv); the schema is already migrated.
 *
 * Modes (`ConsumerJob.mode`):
 * - `kinesis`: cloud-sink's shard poller (`createKinesisConsumer`) on its shards, as `cloud-sink consume --shards`
 *   runs it, verifying every record's gateway signature against the keys registered in the schema (ADR 0193). The
 *   repository is wrapped only to count rows applied and, for lag samples (ids starting with `0`), note when their
 *   write committed.
 * - `store`: the bare baseline without Kinesis: the same records, signed by the same gateway keys (`job.keys`) and
 *   decoded as the poller decodes them — `decodeRecord` with the same batch verifier, so signature checks and key
 *   look-ups are in this baseline too and it stays comparable — then written in the same transactions
 *   (`recordsPerRead` records with a checkpoint each; a record that fails is dead-lettered there, as the poller does).
 * - `read`: the bare baseline without the store: every record of every shard read with GetRecords, nothing decoded.
 *
 * Protocol: job → (prepares) `ready` → `go` → (runs; until idle, or until `stop` when `live`) `done` with a
 * `ConsumerReport` → `exit`. Setup (connecting to PostgreSQL and Kinesis, building records) is outside the timed
 * `go`…`done` span.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { batchSigner, makeRollupBatch, silentLogger, type GatewayJwk } from '@pcf-edge/core';
import {
  createBatchVerifier,
  createKinesisConsumer,
  decodeRecord,
  kinesisClientFor,
  openSecurityStore,
  type CloudSinkRepository,
} from '../../cloud-sink/src';
import type { DeadLetter } from '../../cloud-sink/src/store/repository';
import { DATABASE_URL_ENV, openRepository } from '../../cloud-sink/src/store/open';
import { gatewayId, gatewayMessages, isLagSample, siteOf, type FleetShape } from './fleet-data';

export interface ConsumerJob {
  mode: 'kinesis' | 'store' | 'read';
  schema: string;
  stream: string;
  endpoint: string;
  shards: string[];
  recordsPerRead: number;
  pollIntervalMs: number;
  /** Run until told to stop (live phase) instead of until every shard is caught up. */
  live: boolean;
  /** For `store`: the data to write, and gateway g's signing key `keys[g]` to sign it with (over IPC only). */
  shape?: FleetShape;
  keys?: GatewayJwk[];
}

export interface ConsumerReport {
  startMs: number;
  endMs: number;
  records: number;
  rollups: number;
  applied: number;
  deadLetters: number;
  errors: number;
  /** `id:revision` → epoch ms its write committed (first time). */
  committed: [string, number][];
}

type Msg = { type: 'go' | 'stop' | 'exit' };

const send = (m: unknown) => new Promise<void>((r) => process.send!(m, () => r()));
const next = (type: Msg['type']) =>
  new Promise<void>((resolve) => {
    const on = (m: Msg) => {
      if (m.type !== type) return;
      process.off('message', on);
      resolve();
    };
    process.on('message', on);
  });

async function withRepo(job: ConsumerJob): Promise<CloudSinkRepository> {
  const url = process.env[DATABASE_URL_ENV];
  if (!url) throw new Error(`${DATABASE_URL_ENV} is not set`);
  return openRepository({ kind: 'postgres', url, schema: job.schema }, { poolSize: job.shards.length + 1 });
}

/** The repository with ingest counted and lag samples' commit times noted. */
function counting(repo: CloudSinkRepository, report: ConsumerReport): CloudSinkRepository {
  return {
    ...repo,
    ingest: async (write) => {
      const out = await repo.ingest(write);
      const at = Date.now();
      report.applied += out.applied;
      for (const d of write.rollups)
        if (isLagSample(d.rollup.id)) report.committed.push([`${d.rollup.id}:${d.rollup.revision}`, at]);
      return out;
    },
  };
}

async function kinesisMode(job: ConsumerJob, report: ConsumerReport): Promise<() => Promise<void>> {
  const repo = await withRepo(job);
  await repo.getCheckpoints(job.stream); // opens a pooled connection before the timed span
  // and the Kinesis client's connection, with the SDK modules its first request loads, likewise
  const client = kinesisClientFor({ endpoint: job.endpoint });
  await client.send(new ListShardsCommand({ StreamName: job.stream }));
  const consumer = createKinesisConsumer(
    {
      stream: job.stream,
      endpoint: job.endpoint,
      pollIntervalMs: job.pollIntervalMs,
      recordsPerRead: job.recordsPerRead,
      retryDelayMs: 200,
      stopWhenIdle: !job.live,
      shards: job.shards,
    },
    {
      repo: counting(repo, report),
      log: silentLogger(),
      client,
      verify: createBatchVerifier(openSecurityStore(repo)),
    },
  );
  const stop = next('stop');
  await send({ type: 'ready' });
  await next('go');
  report.startMs = Date.now();
  await consumer.start();
  if (job.live) await stop;
  else await consumer.done();
  await consumer.stop();
  report.endMs = Date.now();
  client.destroy();
  Object.assign(report, {
    records: consumer.stats.records,
    rollups: consumer.stats.rollups,
    deadLetters: consumer.stats.deadLetters,
    errors: consumer.stats.errors,
  });
  return () => repo.close();
}

async function storeMode(job: ConsumerJob, report: ConsumerReport): Promise<() => Promise<void>> {
  const plain = await withRepo(job);
  const repo = counting(plain, report);
  await repo.getCheckpoints(job.stream);
  const verify = createBatchVerifier(openSecurityStore(plain));
  const shape = job.shape!;
  const records: Buffer[] = [];
  const createdAt = new Date();
  for (let g = 0; g < shape.gateways; g++) {
    const signer = batchSigner(job.keys![g]!);
    for (const m of gatewayMessages(shape, g)) {
      const batch = makeRollupBatch(gatewayId(g), siteOf(g), m.rollups, createdAt);
      const data = signer.sign(Buffer.from(JSON.stringify(batch)));
      records.push(data);
      if (m.resend) records.push(data);
    }
  }
  await send({ type: 'ready' });
  await next('go');
  report.startMs = Date.now();
  for (let i = 0; i < records.length; i += job.recordsPerRead) {
    const chunk = records.slice(i, i + job.recordsPerRead);
    const at = Date.now();
    const rollups = [];
    const deadLetters: DeadLetter[] = [];
    for (const [j, data] of chunk.entries()) {
      const d = await decodeRecord(data, `baseline/${i + j}`, at, verify);
      if (d.ok) rollups.push(...d.rollups);
      else deadLetters.push(d.deadLetter);
    }
    const sequenceNumber = String(i + chunk.length).padStart(20, '0');
    await repo.ingest({
      rollups,
      deadLetters,
      checkpoint: { stream: job.stream, shardId: 'baseline', sequenceNumber },
    });
    report.records += chunk.length;
    report.rollups += rollups.length;
    report.deadLetters += deadLetters.length;
  }
  report.endMs = Date.now();
  return () => repo.close();
}

async function readMode(job: ConsumerJob, report: ConsumerReport): Promise<() => Promise<void>> {
  const client = kinesisClientFor({ endpoint: job.endpoint });
  await send({ type: 'ready' });
  await next('go');
  report.startMs = Date.now();
  const shards = (await client.send(new ListShardsCommand({ StreamName: job.stream }))).Shards ?? [];
  await Promise.all(
    shards.map(async (s) => {
      let iterator = (
        await client.send(
          new GetShardIteratorCommand({
            StreamName: job.stream,
            ShardId: s.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const r = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: job.recordsPerRead }));
        const n = r.Records?.length ?? 0;
        report.records += n;
        if (n === 0 && (r.MillisBehindLatest ?? 0) === 0) break;
        iterator = r.NextShardIterator;
      }
    }),
  );
  report.endMs = Date.now();
  client.destroy();
  return () => Promise.resolve();
}

process.once('message', (job: ConsumerJob) => {
  const report: ConsumerReport = {
    startMs: 0,
    endMs: 0,
    records: 0,
    rollups: 0,
    applied: 0,
    deadLetters: 0,
    errors: 0,
    committed: [],
  };
  const run = { kinesis: kinesisMode, store: storeMode, read: readMode }[job.mode];
  run(job, report)
    .then(async (close) => {
      await send({ type: 'done', report });
      await next('exit');
      await close();
      process.exit(0);
    })
    .catch(async (err: unknown) => {
      await send({ type: 'failed', error: String((err as Error).stack ?? err) });
      process.exit(1);
    });
});
