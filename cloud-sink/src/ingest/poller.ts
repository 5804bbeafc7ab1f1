import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type Shard,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { PcfError, sleep as sleepFor, type Logger } from '@pcf-edge/core';
import type { CloudSinkRepository, DeadLetter, DecodedRollup } from '../store/repository';
import { openSecurityStore } from '../store/security-store';
import { archiveAll, type RawArchive } from '../archive/archive';
import { decodeRecord } from './decode';
import { createBatchVerifier, type BatchVerifier } from './verify';

export interface KinesisConsumerConfig {
  stream: string;
  /** Custom endpoint (kinesalite, LocalStack); AWS default when absent. */
  endpoint?: string;
  region?: string;
  /** Wait after an empty read at the tip of a shard. */
  pollIntervalMs: number;
  /** GetRecords Limit (≤ 10000). */
  recordsPerRead: number;
  /** Back-off after a failed read or store. */
  retryDelayMs: number;
  /** Stop a shard's loop once it is caught up (used by tests, the benchmark and `consume --until-idle`). */
  stopWhenIdle: boolean;
  /**
   * The shards this consumer reads (default: every shard). Consumers sharing a store each take their own shards;
   * should two read one shard, upserts stay idempotent and its checkpoint only moves forward.
   */
  shards?: string[];
}

export interface ConsumerStats {
  records: number;
  rollups: number;
  deadLetters: number;
  errors: number;
}

export function kinesisClientFor(config: Pick<KinesisConsumerConfig, 'endpoint' | 'region'>): KinesisClient {
  return new KinesisClient({
    region: config.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(config.endpoint
      ? { endpoint: config.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30_000 }),
  });
}

/**
 * Local shard poller: one loop per shard, all shards in parallel. Each GetRecords batch is applied in one
 * transaction together with the shard's checkpoint (last sequence number), so a restart resumes with
 * AFTER_SEQUENCE_NUMBER and nothing is lost or applied twice. Invalid records go to the dead-letter table and the
 * shard moves on. With `archive`, every record's bytes are archived (valid or not) before its batch is stored. Any read or store failure: log, wait `retryDelayMs`, re-open the iterator from the checkpoint.
 */
export function createKinesisConsumer(
  config: KinesisConsumerConfig,
  deps: {
    repo: CloudSinkRepository;
    log: Logger;
    client?: KinesisClient;
    verify?: BatchVerifier;
    archive?: RawArchive;
  },
) {
  const verify = deps.verify ?? createBatchVerifier(openSecurityStore(deps.repo));
  const client = deps.client ?? kinesisClientFor(config);
  const stats: ConsumerStats = { records: 0, rollups: 0, deadLetters: 0, errors: 0 };
  const abort = new AbortController();
  let running: Promise<void> | undefined;

  const sleep = (ms: number): Promise<void> => sleepFor(ms, { signal: abort.signal });

  const iteratorFor = async (shardId: string): Promise<string | undefined> => {
    const seq = (await deps.repo.getCheckpoints(config.stream)).get(shardId);
    const res = await client.send(
      new GetShardIteratorCommand({
        StreamName: config.stream,
        ShardId: shardId,
        ...(seq
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: seq }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
      { abortSignal: abort.signal },
    );
    return res.ShardIterator;
  };

  const apply = async (shardId: string, records: _Record[]) => {
    const rollups: DecodedRollup[] = [];
    const deadLetters: DeadLetter[] = [];
    const at = Date.now();
    for (const r of records) {
      const d = await decodeRecord(
        r.Data ?? new Uint8Array(),
        `${config.stream}/${shardId}/${r.SequenceNumber ?? '?'}`,
        at,
        verify,
      );
      if (d.ok) rollups.push(...d.rollups);
      else deadLetters.push(d.deadLetter);
    }
    const last = records[records.length - 1]!.SequenceNumber!;
    // archived before the checkpoint moves: a failed write fails the batch, which is read again (ADR 0233)
    if (deps.archive)
      await archiveAll(
        deps.archive,
        records.map((r) => r.Data ?? new Uint8Array()),
      );
    await deps.repo.ingest({
      rollups,
      deadLetters,
      checkpoint: { stream: config.stream, shardId, sequenceNumber: last },
    });
    stats.records += records.length;
    stats.rollups += rollups.length;
    stats.deadLetters += deadLetters.length;
    for (const d of deadLetters) deps.log.warn({ source: d.source, reason: d.reason }, 'record dead-lettered');
  };

  const runShard = async (shardId: string): Promise<void> => {
    let iterator: string | undefined;
    while (!abort.signal.aborted) {
      try {
        iterator ??= await iteratorFor(shardId);
        if (!iterator) return;
        const res = await client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: config.recordsPerRead }),
          { abortSignal: abort.signal },
        );
        const records = res.Records ?? [];
        if (records.length > 0) await apply(shardId, records);
        iterator = res.NextShardIterator;
        if (!iterator) return deps.log.info({ shardId }, 'shard closed');
        if (records.length === 0 && (res.MillisBehindLatest ?? 0) === 0) {
          if (config.stopWhenIdle) return;
          await sleep(config.pollIntervalMs);
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        stats.errors++;
        deps.log.warn({ err, shardId }, 'shard read or store failed; retrying from checkpoint');
        iterator = undefined;
        await sleep(config.retryDelayMs);
      }
    }
  };

  const listShards = async (): Promise<Shard[]> => {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const res = await client.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: config.stream }),
      );
      shards.push(...(res.Shards ?? []));
      token = res.NextToken;
    } while (token);
    return shards;
  };

  return {
    stats,
    /** Resolves once the shards are listed; `done` resolves when every shard loop ended. */
    async start(): Promise<void> {
      // Kinesis unreachable at start (an outage, a restart racing it) is retried like a read failure; a stream
      // that does not exist is a configuration error and fails at once.
      let shards: Shard[] | undefined;
      while (shards === undefined) {
        try {
          shards = await listShards();
        } catch (err) {
          if (abort.signal.aborted || (err as { name?: string }).name === 'ResourceNotFoundException') throw err;
          stats.errors++;
          deps.log.warn({ err, stream: config.stream }, 'cannot list shards; retrying');
          await sleep(config.retryDelayMs);
        }
      }
      if (config.shards) {
        const known = new Set(shards.map((s) => s.ShardId));
        const unknown = config.shards.filter((id) => !known.has(id));
        if (unknown.length > 0)
          throw new PcfError('ERR_KINESIS', `stream ${config.stream} has no shard ${unknown.join(', ')}`, {
            shards: unknown,
          });
        shards = shards.filter((s) => config.shards!.includes(s.ShardId!));
      }
      deps.log.info({ stream: config.stream, shards: shards.length }, 'consuming');
      running = Promise.all(shards.map((s) => runShard(s.ShardId!))).then(() => undefined);
    },
    done(): Promise<void> {
      return running ?? Promise.resolve();
    },
    async stop(): Promise<void> {
      abort.abort();
      await running;
      if (!deps.client) client.destroy();
    },
  };
}

export type KinesisConsumer = ReturnType<typeof createKinesisConsumer>;
