import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ManualClock,
  silentLogger,
  systemClock,
  openSignedBatch,
  validateRollupBatch,
  type Clock,
  type Rollup,
} from '@pcf-edge/core';
import type { GatewayStore } from '@pcf-edge/store';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import { createStreamManagerServer, kinesisClientFor, type StreamManagerServer } from '@pcf-edge/stream-manager-sim';
import { readAllRecords, startLocalKinesis, type LocalKinesis } from '../../../test-support/kinesis';
import {
  createKinesisSink,
  createStreamExporter,
  createStreamManagerSink,
  kinesisClientFor as exporterKinesisClient,
  type StreamExporter,
} from '../src';
import { enqueue, exporterConfig, makeRollups, openTestStore, tempDir, waitFor } from './fixtures';

const ROOT = join(__dirname, '..', '..', '..');

async function startSm(
  dir: string,
  kinesisEndpoint: string,
  port = 0,
  clock: Clock = systemClock,
): Promise<{ server: StreamManagerServer; port: number }> {
  const server = createStreamManagerServer(
    { port, dir, export: { retry: { initialDelayMs: 50, maxDelayMs: 300 } } },
    { log: silentLogger(), kinesis: kinesisClientFor(kinesisEndpoint, {}), clock },
  );
  return { server, port: (await server.start()).port };
}

/** Rollups received from every shard, keyed `id:revision`; a duplicate must be byte-for-byte the same rollup. */
async function received(kinesis: LocalKinesis, stream: string): Promise<{ byKey: Map<string, Rollup>; total: number }> {
  const byKey = new Map<string, Rollup>();
  let total = 0;
  for (const record of await readAllRecords(kinesis.client, stream)) {
    // the exporter process signs every batch (ADR 0193): then the record is a JWS whose payload is the batch
    const opened = openSignedBatch(JSON.parse(record.toString()));
    if (opened.signed === 'malformed') throw new Error(`malformed signed batch: ${opened.reason}`);
    const batch = opened.signed ? opened.payload : record;
    for (const r of validateRollupBatch(JSON.parse(batch.toString())).rollups) {
      total++;
      const key = `${r.id}:${r.revision}`;
      const before = byKey.get(key);
      if (before) expect(r).toEqual(before);
      byKey.set(key, r);
    }
  }
  return { byKey, total };
}

/** Every rollup of the store (at its stored revision) arrived with the same values. */
function expectAllArrived(store: GatewayStore, expected: Rollup[], byKey: Map<string, Rollup>): void {
  const stored = store.getRollups(expected.map((r) => r.id));
  expect(stored.size).toBe(new Set(expected.map((r) => r.id)).size);
  const missing = [...stored.values()].filter((s) => !byKey.has(`${s.rollup.id}:${s.rollup.revision}`));
  expect(missing).toEqual([]);
  for (const s of stored.values()) expect(byKey.get(`${s.rollup.id}:${s.rollup.revision}`)).toEqual(s.rollup);
}

describe('outbox → exporter → local Stream Manager → kinesalite', () => {
  const tmp = tempDir();
  let kinesis: LocalKinesis;
  beforeAll(async () => {
    kinesis = await startLocalKinesis({ shards: 2, streams: ['rollups-a', 'rollups-b', 'rollups-c', 'rollups-d'] });
  });
  afterAll(async () => {
    await kinesis.stop();
    tmp.remove();
  });

  it('delivers every rollup with its id, revision and values across a Stream Manager outage while data flows', async () => {
    const dir = join(tmp.dir, 'sm-a');
    let sm = await startSm(dir, kinesis.endpoint);
    const port = sm.port;
    const store = openTestStore(join(tmp.dir, 'a.sqlite'));
    const config = exporterConfig({
      streamManager: { port, connectTimeoutMs: 500 },
      streamName: 'rollups',
      kinesisStreamName: 'rollups-a',
      maxRollupsPerMessage: 50,
      batchSize: 20,
    });
    const client = createStreamManagerClient({
      port,
      env: {},
      connectTimeoutMs: 500,
      retry: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    const exporter: StreamExporter = createStreamExporter(config, {
      store,
      sink: createStreamManagerSink(config, client),
      clock: systemClock,
      log: silentLogger(),
    });
    exporter.start();
    const all: Rollup[] = [];
    const add = (list: Rollup[]): void => {
      enqueue(store, list);
      all.push(...list);
    };
    add(makeRollups(300));
    await waitFor('first part exported', () => (store.outboxStats(Date.now()).depth === 0 ? true : undefined));
    await sm.server.stop();
    for (let i = 0; i < 5; i++) {
      add(makeRollups(100, { start: 300 + i * 100 }));
      await new Promise((r) => setTimeout(r, 100));
    }
    add(makeRollups(50, { start: 0, revision: 2 }));
    expect(store.outboxStats(Date.now()).depth).toBe(550);
    sm = await startSm(dir, kinesis.endpoint, port);
    await waitFor('outbox drained', () => (store.outboxStats(Date.now()).depth === 0 ? true : undefined));
    await waitFor('export to Kinesis complete', async () => {
      const info = await client.describeMessageStream('rollups');
      return info.exportStatuses[0]!.lastExportedSequenceNumber === info.storageStatus.newestSequenceNumber
        ? true
        : undefined;
    });
    await exporter.stop();
    const { byKey } = await received(kinesis, 'rollups-a');
    expectAllArrived(store, all, byKey);
    client.close();
    store.close();
    await sm.server.stop();
  });

  it('Stream Manager stopped for 5 simulated minutes while data flows: backoff on simulated time, nothing lost, backlog in order, newest windows interleaved', async () => {
    const METERS = 100;
    const T0 = Date.UTC(2026, 10, 1); // makeRollups: window w of meter m is rollup w * METERS + m
    const clock = new ManualClock(T0 + 60_000);
    const dir = join(tmp.dir, 'sm-d');
    let sm = await startSm(dir, kinesis.endpoint, 0, clock);
    const port = sm.port;
    const store = openTestStore(join(tmp.dir, 'd.sqlite'));
    const config = exporterConfig({
      streamManager: { port },
      streamName: 'outage',
      kinesisStreamName: 'rollups-d',
      maxRollupsPerMessage: 50,
      inFlight: 2,
      pollIntervalMs: 1000,
      retry: { initialDelayMs: 500, maxDelayMs: 30_000 },
    });
    const client = createStreamManagerClient({ port, env: {}, retry: { initialDelayMs: 5, maxDelayMs: 20 } });
    const inner = createStreamManagerSink(config, client);
    let attempts = 0;
    const sink = {
      ...inner,
      ensure: () => {
        attempts++;
        return inner.ensure();
      },
    };
    const exporter = createStreamExporter(config, { store, sink, clock, log: silentLogger() });
    const all: Rollup[] = [];
    let windows = 0;
    /** Moves simulated time in 5 s steps; each completed minute window of every meter is enqueued, as the aggregator does. */
    const run = async (simMs: number, produce = true): Promise<void> => {
      for (let t = 0; t < simMs; t += 5000) {
        clock.advance(5000);
        while (produce && T0 + (windows + 1) * 60_000 <= clock.now()) {
          const list = makeRollups(METERS, { start: windows * METERS, meters: METERS });
          enqueue(store, list, clock.now());
          all.push(...list);
          windows++;
        }
        await new Promise((r) => setTimeout(r, 15));
      }
    };
    const depth = (): number => store.outboxStats(clock.now()).depth;
    exporter.start();
    await run(2 * 60_000);
    await waitFor('live data exported', async () => {
      await run(5000);
      return depth() === 0 ? true : undefined;
    });

    await sm.server.stop();
    const attemptsBefore = attempts;
    const downAt = clock.now();
    await run(5 * 60_000);
    expect(clock.now() - downAt).toBe(5 * 60_000);
    expect(exporter.status()).toMatchObject({ reachable: false, droppedRollups: 0 });
    expect(depth()).toBe(5 * METERS);
    // Backoff ran on simulated time: 0.5 s doubling to 30 s over 5 simulated minutes is about 15 attempts (a wall-
    // clock backoff would have retried every step, 60 times).
    expect(attempts - attemptsBefore).toBeGreaterThanOrEqual(5);
    expect(attempts - attemptsBefore).toBeLessThanOrEqual(25);

    sm = await startSm(dir, kinesis.endpoint, port, clock);
    const newest = windows; // the window that completes next is newer than the whole backlog
    // Until the exporter is back (its backoff reaches up to 30 simulated s) no window completes, so its first
    // message after the restart shows what it picks first.
    await waitFor('exporter reconnected', async () => {
      await run(5000, false);
      return depth() < 5 * METERS ? true : undefined;
    });
    await waitFor('backlog drained', async () => {
      await run(5000);
      return depth() === 0 && windows > newest ? true : undefined;
    });
    await exporter.stop();
    await waitFor('export to Kinesis complete', async () => {
      const info = await client.describeMessageStream('outage');
      return info.exportStatuses[0]!.lastExportedSequenceNumber === info.storageStatus.newestSequenceNumber
        ? true
        : undefined;
    });

    // Messages appended after the restart, in Stream Manager order: first the newest rows of the backlog (a live
    // pick: live views catch up at once), then the backlog oldest first.
    const windowOf = (r: { windowStart: string }): number => (Date.parse(r.windowStart) - T0) / 60_000;
    const info = await client.describeMessageStream('outage');
    const msgs = await client.readMessages('outage', { desiredStartSequenceNumber: 0n, maxMessageCount: 10_000 });
    expect(BigInt(msgs.length)).toBe(info.storageStatus.newestSequenceNumber + 1n);
    const after = msgs
      .map((m) => validateRollupBatch(JSON.parse(m.payload.toString())).rollups.map(windowOf))
      .filter((ws) => ws.some((w) => w >= newest - 5));
    expect(new Set(after[0])).toEqual(new Set([newest - 1]));
    const backlog = after
      .slice(1)
      .filter((ws) => ws.every((w) => w < newest))
      .flat();
    expect(backlog).toEqual([...backlog].sort((a, b) => a - b));
    expect(new Set([...after[0]!, ...backlog])).toEqual(
      new Set([newest - 5, newest - 4, newest - 3, newest - 2, newest - 1]),
    );
    expect(
      after
        .slice(1)
        .flat()
        .filter((w) => w < newest),
    ).toHaveLength(5 * METERS - after[0]!.length);

    const { byKey } = await received(kinesis, 'rollups-d');
    expectAllArrived(store, all, byKey);
    client.close();
    store.close();
    await sm.server.stop();
  }, 120_000);

  it('loses nothing when the exporter process is SIGKILLed in the middle of a batch', async () => {
    const sm = await startSm(join(tmp.dir, 'sm-b'), kinesis.endpoint);
    const storeFile = join(tmp.dir, 'b.sqlite');
    const store = openTestStore(storeFile);
    const rollups = makeRollups(4000);
    enqueue(store, rollups);
    const config = {
      gatewayId: 'gw-1',
      site: 'plant1',
      streamManager: { port: sm.port },
      streamName: 'kill',
      kinesisStreamName: 'rollups-b',
      maxRollupsPerMessage: 20,
      inFlight: 4,
      pollIntervalMs: 50,
    };
    const configFile = join(tmp.dir, 'exporter.json');
    writeFileSync(configFile, JSON.stringify(config));
    // node itself runs main.ts (tsx as an --import loader): the tsx CLI would run it in a grandchild that a
    // SIGKILL of the CLI leaves running.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'components/stream-exporter/src/main.ts'),
        '--config',
        configFile,
        '--store',
        storeFile,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LOG_LEVEL: 'warn' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const sentCount = (): number =>
      (store.db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE sent_ts IS NOT NULL').get() as { n: number }).n;
    await waitFor(
      `the child exporter sending (stderr: ${stderr})`,
      () => (sentCount() >= 200 ? true : undefined),
      60_000,
    );
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const atKill = sentCount();
    expect(atKill).toBeLessThan(4000);

    const client = createStreamManagerClient({ port: sm.port, env: {} });
    const cfg = exporterConfig(config);
    const exporter = createStreamExporter(cfg, {
      store,
      sink: createStreamManagerSink(cfg, client),
      clock: systemClock,
      log: silentLogger(),
    });
    exporter.start();
    await waitFor(
      'outbox drained after restart',
      () => (store.outboxStats(Date.now()).depth === 0 ? true : undefined),
      60_000,
    );
    await exporter.stop();
    await waitFor(
      'export to Kinesis complete',
      async () => {
        const info = await client.describeMessageStream('kill');
        return info.exportStatuses[0]!.lastExportedSequenceNumber === info.storageStatus.newestSequenceNumber
          ? true
          : undefined;
      },
      60_000,
    );
    const { byKey, total } = await received(kinesis, 'rollups-b');
    expectAllArrived(store, rollups, byKey);
    expect(total).toBeGreaterThanOrEqual(4000);
    client.close();
    store.close();
    await sm.server.stop();
  }, 120_000);

  it('target kinesis puts records directly with the same guarantees', async () => {
    const store = openTestStore(join(tmp.dir, 'c.sqlite'));
    const rollups = makeRollups(500);
    enqueue(store, rollups);
    const config = exporterConfig({
      target: 'kinesis',
      kinesisStreamName: 'rollups-c',
      kinesis: { endpoint: kinesis.endpoint },
      maxRollupsPerMessage: 60,
    });
    const sink = createKinesisSink(config, exporterKinesisClient(config));
    const exporter = createStreamExporter(config, { store, sink, clock: systemClock, log: silentLogger() });
    exporter.start();
    await waitFor('outbox drained', () => (store.outboxStats(Date.now()).depth === 0 ? true : undefined));
    await exporter.stop();
    sink.close();
    const seqNumbers = store.db.prepare('SELECT DISTINCT sequence_number AS sn FROM outbox').all() as { sn: string }[];
    expect(seqNumbers.every((r) => /^\d{20,}$/.test(r.sn))).toBe(true);
    const { byKey } = await received(kinesis, 'rollups-c');
    expectAllArrived(store, rollups, byKey);
    store.close();
  });
});
