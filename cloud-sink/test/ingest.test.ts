import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { makeRollupBatch, silentLogger } from '@pcf-edge/core';
import { freePort, startLocalKinesis, type LocalKinesis } from '../../test-support/kinesis';
import { runCli } from '../src/cli/run';
import { localFolderArchive } from '../src/archive/local';
import { createKinesisHandler } from '../src/ingest/lambda';
import { createKinesisConsumer } from '../src/ingest/poller';
import { openSqliteRepository } from '../src/store/sqlite';
import { lineRollup, registerTestGateway, signedBatch, tempDb, type TempDb } from './helpers';

const batchOf = (line: string, hour: number, revision = 1, kWh = 10) =>
  makeRollupBatch(
    'gw-1',
    'plant-1',
    [0, 15, 30, 45].map((m) =>
      lineRollup(
        line,
        `2026-01-01T${String(hour).padStart(2, '0')}:${String(m).padStart(2, '0')}:00.000Z`,
        revision,
        kWh,
      ),
    ),
    new Date('2026-01-01T12:00:00Z'),
  );
/** Records as gateway gw-1 (registered for plant-1 in every test database) exports them: signed. */
const json = (v: unknown) => signedBatch(v);

/** Listens on `port` and forwards every connection to `target` (both on 127.0.0.1). */
async function forwardPort(port: number, target: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    const up = connect(target, '127.0.0.1');
    for (const x of [s, up]) {
      sockets.add(x);
      x.on('error', () => {
        s.destroy();
        up.destroy();
      }).on('close', () => {
        sockets.delete(x);
        s.destroy();
        up.destroy();
      });
    }
    s.pipe(up).pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const x of sockets) x.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('Kinesis ingest: local poller against kinesalite', () => {
  let k: LocalKinesis;
  let t: TempDb;
  beforeAll(async () => {
    k = await startLocalKinesis({ shards: 3, streams: ['rollups'] });
  });
  afterAll(async () => {
    await k.stop();
  });
  beforeEach(async () => {
    t = tempDb();
    await registerTestGateway(t.repo);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** Record i goes to shard i mod 3 (an explicit hash key inside that shard's third of the key space), so the
   * records always span several shards: random partition keys put all five in one shard about once in 81 runs. */
  const shardKey = (i: number) => String((2n ** 128n / 3n) * BigInt(i % 3) + 1n);
  const put = async (datas: Buffer[]) => {
    const res = await k.client.send(
      new PutRecordsCommand({
        StreamName: 'rollups',
        Records: datas.map((Data, i) => ({ Data, PartitionKey: `pk-${i}`, ExplicitHashKey: shardKey(i) })),
      }),
    );
    expect(res.FailedRecordCount ?? 0).toBe(0);
  };
  const consumeUntilIdle = async () => {
    const c = createKinesisConsumer(
      {
        stream: 'rollups',
        endpoint: k.endpoint,
        pollIntervalMs: 50,
        recordsPerRead: 1000,
        retryDelayMs: 50,
        stopWhenIdle: true,
      },
      { repo: t.repo, log: silentLogger() },
    );
    await c.start();
    await c.done();
    await c.stop();
    return c.stats;
  };

  it('reads every shard, dead-letters bad records without stopping, checkpoints and resumes after restart', async () => {
    await put([
      json(batchOf('line-1', 0)),
      Buffer.from('{not json'),
      json(batchOf('line-1', 1)),
      json({ schema: 'pcf-edge.rollup-batch/1', rollups: [] }),
      json(batchOf('line-2', 0)),
    ]);
    const first = await consumeUntilIdle();
    expect(first).toMatchObject({ rollups: 12, deadLetters: 2 });
    expect(await t.repo.countRollups()).toBe(12);
    const dead = await t.repo.listDeadLetters();
    expect(dead.map((d) => d.reason).sort()).toEqual([
      expect.stringMatching(/^invalid JSON: /),
      expect.stringMatching(/^invalid pcf-edge\.rollup-batch\/1 document: .*missing required property 'batchId'/),
    ]);
    expect(dead.every((d) => d.source.startsWith('rollups/shardId-'))).toBe(true);
    const checkpoints = await t.repo.getCheckpoints('rollups');
    expect(checkpoints.size).toBe(3);

    // restart: only records after the checkpoints are read; a higher revision replaces the stored window
    await put([json(batchOf('line-1', 0, 2, 99)), json(batchOf('line-3', 5))]);
    const second = await consumeUntilIdle();
    expect(second).toMatchObject({ records: 2, rollups: 8, deadLetters: 0 });
    expect(await t.repo.countRollups()).toBe(16);
    const [r] = await t.repo.getRollups([batchOf('line-1', 0).rollups[0]!.id]);
    expect(r).toMatchObject({ revision: 2, electricityMicroKWh: 99_000_000 });
    const third = await consumeUntilIdle();
    expect(third.records).toBe(0);
  });

  it('waits for Kinesis when it is unreachable at start, and fails at once on a stream that does not exist', async () => {
    const port = await freePort();
    const c = createKinesisConsumer(
      {
        stream: 'late',
        endpoint: `http://127.0.0.1:${port}`,
        pollIntervalMs: 50,
        recordsPerRead: 1000,
        retryDelayMs: 50,
        stopWhenIdle: true,
      },
      { repo: t.repo, log: silentLogger() },
    );
    const started = c.start();
    await new Promise((r) => setTimeout(r, 300)); // several refused attempts
    expect(c.stats.errors).toBeGreaterThan(0);
    // Kinesis appears on the port with its stream already created (kinesalite listens before it creates streams:
    // a retry landing in between would see a missing stream)
    const late = await startLocalKinesis({ streams: ['late'] });
    const forward = await forwardPort(port, Number(new URL(late.endpoint).port));
    try {
      await late.client.send(
        new PutRecordsCommand({
          StreamName: 'late',
          Records: [{ Data: json(batchOf('line-1', 0)), PartitionKey: 'pk' }],
        }),
      );
      await started;
      await c.done();
      await c.stop();
      expect(c.stats.rollups).toBeGreaterThan(0);
      const missing = createKinesisConsumer(
        {
          stream: 'nope',
          endpoint: late.endpoint,
          pollIntervalMs: 50,
          recordsPerRead: 1000,
          retryDelayMs: 50,
          stopWhenIdle: true,
        },
        { repo: t.repo, log: silentLogger() },
      );
      await expect(missing.start()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      await missing.stop();
    } finally {
      await forward.close();
      await late.stop();
    }
  });

  it('reads only the shards it is given, and refuses a shard the stream does not have', async () => {
    await put([json(batchOf('line-5', 0)), json(batchOf('line-5', 1)), json(batchOf('line-5', 2))]);
    const only = (shards: string[]) =>
      createKinesisConsumer(
        {
          stream: 'rollups',
          endpoint: k.endpoint,
          pollIntervalMs: 50,
          recordsPerRead: 1000,
          retryDelayMs: 50,
          stopWhenIdle: true,
          shards,
        },
        { repo: t.repo, log: silentLogger() },
      );
    const c = only(['shardId-000000000001']);
    await c.start();
    await c.done();
    await c.stop();
    // record i went to shard i mod 3: line-5's hour 1 is on shard 1, hours 0 and 2 are not read
    expect(c.stats.records).toBeGreaterThan(0);
    expect([...(await t.repo.getCheckpoints('rollups')).keys()]).toEqual(['shardId-000000000001']);
    const ids = (hour: number) => batchOf('line-5', hour).rollups.map((r) => r.id);
    expect(await t.repo.getRollups(ids(1))).toHaveLength(4);
    expect(await t.repo.getRollups([...ids(0), ...ids(2)])).toEqual([]);
    const wrong = only(['shardId-000000000009']);
    await expect(wrong.start()).rejects.toMatchObject({
      code: 'ERR_KINESIS',
      message: 'stream rollups has no shard shardId-000000000009',
    });
    await wrong.stop();
  });

  it('`consume --until-idle` reads the stream into the database given by --db', async () => {
    await put([json(batchOf('line-4', 3))]);
    const out: string[] = [];
    const code = await runCli(
      [
        'consume',
        '--stream',
        'rollups',
        '--endpoint',
        k.endpoint,
        '--until-idle',
        '--poll-interval-ms',
        '50',
        '--db',
        t.file,
      ],
      { out: (x) => out.push(x), err: (x) => out.push(x), log: silentLogger(), onSignal: () => undefined },
    );
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(
      /^consumed \d+ records: \d+ rollups stored or revised, \d+ dead-lettered, 0 retried errors$/,
    );
    expect(await t.repo.getRollups([batchOf('line-4', 3).rollups[0]!.id])).toHaveLength(1);
  });
});

describe('Kinesis Lambda handler', () => {
  let t: TempDb;
  beforeEach(async () => {
    t = tempDb();
    await registerTestGateway(t.repo);
  });
  afterEach(async () => {
    await t.cleanup();
  });
  const rec = (seq: string, data: Buffer) => ({
    eventSourceARN: 'arn:aws:kinesis:eu-west-2:1:stream/rollups',
    kinesis: { sequenceNumber: seq, data: data.toString('base64') },
  });

  it('dead-letters a batch whose value does not fit integer micro-units, naming the rollup and field', async () => {
    const handler = createKinesisHandler({ repo: t.repo, log: silentLogger() });
    const huge = batchOf('line-1', 0);
    (huge.rollups[2] as { gasKWh: number }).gasKWh = 1e10; // 10 TWh in 15 minutes: above 9,007,199,254.740991 kWh
    const res = await handler({ Records: [rec('1', json(huge)), rec('2', json(batchOf('line-1', 1)))] });
    expect(res).toEqual({ batchItemFailures: [] });
    expect(await t.repo.countRollups()).toBe(4);
    expect((await t.repo.listDeadLetters()).map((d) => d.reason)).toEqual([
      `rollup 2 (${huge.rollups[2]!.id}): gasKWh = 10000000000 does not fit integer micro-units (0 to 9007199254.740991)`,
    ]);
  });

  it('stores valid batches, dead-letters invalid ones and reports nothing failed', async () => {
    const handler = createKinesisHandler({ repo: t.repo, log: silentLogger() });
    const res = await handler({
      Records: [rec('1', json(batchOf('line-1', 0))), rec('2', Buffer.from('nope')), rec('3', json({ schema: 'x' }))],
    });
    expect(res).toEqual({ batchItemFailures: [] });
    expect(await t.repo.countRollups()).toBe(4);
    expect((await t.repo.listDeadLetters()).map((d) => d.source)).toEqual([
      'arn:aws:kinesis:eu-west-2:1:stream/rollups/2',
      'arn:aws:kinesis:eu-west-2:1:stream/rollups/3',
    ]);
  });

  it('stores a whole batch in one transaction', async () => {
    const ingests: number[] = [];
    const repo = {
      ...t.repo,
      ingest: (w: Parameters<typeof t.repo.ingest>[0]) => (ingests.push(w.rollups.length), t.repo.ingest(w)),
    };
    const handler = createKinesisHandler({ repo, log: silentLogger() });
    const res = await handler({
      Records: [
        rec('1', json(batchOf('line-1', 0))),
        rec('2', Buffer.from('nope')),
        rec('3', json(batchOf('line-2', 0))),
      ],
    });
    expect(res).toEqual({ batchItemFailures: [] });
    expect(ingests).toEqual([8]);
    expect(await t.repo.countRollups()).toBe(8);
    expect(await t.repo.listDeadLetters()).toHaveLength(1);
  });

  it('stores the records before one that cannot be archived and reports it and every later one', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pcf-archive-'));
    const real = localFolderArchive(folder);
    let puts = 0;
    const archive = {
      ...real,
      put: (kind: Parameters<typeof real.put>[0], bytes: Uint8Array) =>
        ++puts === 2 ? Promise.reject(new Error('disk full')) : real.put(kind, bytes),
    };
    try {
      const handler = createKinesisHandler({ repo: t.repo, log: silentLogger(), archive });
      const res = await handler({
        Records: [
          rec('1', json(batchOf('line-1', 0))),
          rec('2', json(batchOf('line-1', 1))),
          rec('3', json(batchOf('line-1', 2))),
        ],
      });
      expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }, { itemIdentifier: '3' }] });
      expect(await t.repo.countRollups()).toBe(4);
      expect(await real.list('batches')).toHaveLength(1);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reports every record of a batch that hit a busy database', async () => {
    const repo = openSqliteRepository({ file: t.file, busyTimeoutMs: 50 });
    const handler = createKinesisHandler({ repo, log: silentLogger() });
    expect(await handler({ Records: [rec('1', json(batchOf('line-1', 0)))] })).toEqual({ batchItemFailures: [] });
    const locker = new Database(t.file);
    locker.exec('BEGIN IMMEDIATE');
    try {
      const res = await handler({
        Records: [
          rec('2', json(batchOf('line-1', 1))),
          rec('3', Buffer.from('bad')),
          rec('4', json(batchOf('line-1', 2))),
        ],
      });
      expect(res).toEqual({
        batchItemFailures: [{ itemIdentifier: '2' }, { itemIdentifier: '3' }, { itemIdentifier: '4' }],
      });
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(await handler({ Records: [rec('2', json(batchOf('line-1', 1)))] })).toEqual({ batchItemFailures: [] });
    expect(await repo.countRollups()).toBe(8);
    await repo.close();
  });
});
