import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger, systemClock, validateRollupBatch, type Rollup } from '@pcf-edge/core';
import type { GatewayStore } from '@pcf-edge/store';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import { createStreamManagerServer, kinesisClientFor, type StreamManagerServer } from '@pcf-edge/stream-manager-sim';
import { readAllRecords, startLocalKinesis, type LocalKinesis } from '../../../test-support/kinesis';
import { createKinesisSink, createStreamExporter, createStreamManagerSink, kinesisClientFor as exporterKinesisClient, type StreamExporter } from '../src';
import { enqueue, exporterConfig, makeRollups, openTestStore, tempDir, waitFor } from './fixtures';

const ROOT = join(__dirname, '..', '..', '..');

async function startSm(dir: string, kinesisEndpoint: string, port = 0): Promise<{ server: StreamManagerServer; port: number }> {
  const server = createStreamManagerServer(
    { port, dir, export: { initialBackoffMs: 50, maxBackoffMs: 300 } },
    { log: silentLogger(), kinesis: kinesisClientFor(kinesisEndpoint, {}) },
  );
  return { server, port: (await server.start()).port };
}

/** Rollups received from every shard, keyed `id:revision`; a duplicate must be byte-for-byte the same rollup. */
async function received(kinesis: LocalKinesis, stream: string): Promise<{ byKey: Map<string, Rollup>; total: number }> {
  const byKey = new Map<string, Rollup>();
  let total = 0;
  for (const record of await readAllRecords(kinesis.client, stream)) {
    for (const r of validateRollupBatch(JSON.parse(record.toString())).rollups) {
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
    kinesis = await startLocalKinesis({ shards: 2, streams: ['rollups-a', 'rollups-b', 'rollups-c'] });
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
    const config = exporterConfig({ streamManager: { port, connectTimeoutMs: 500 }, streamName: 'rollups', kinesisStreamName: 'rollups-a', maxRollupsPerMessage: 50, batchSize: 20 });
    const client = createStreamManagerClient({ port, env: {}, connectTimeoutMs: 500, reconnectBackoff: { initialMs: 20, maxMs: 200 } });
    const exporter: StreamExporter = createStreamExporter(config, { store, sink: createStreamManagerSink(config, client), clock: systemClock, log: silentLogger() });
    exporter.start();
    const all: Rollup[] = [];
    const add = (list: Rollup[]): void => { enqueue(store, list); all.push(...list); };
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
      return info.exportStatuses[0]!.lastExportedSequenceNumber === info.storageStatus.newestSequenceNumber ? true : undefined;
    });
    await exporter.stop();
    const { byKey } = await received(kinesis, 'rollups-a');
    expectAllArrived(store, all, byKey);
    client.close();
    store.close();
    await sm.server.stop();
  });

  it('loses nothing when the exporter process is SIGKILLed in the middle of a batch', async () => {
    const sm = await startSm(join(tmp.dir, 'sm-b'), kinesis.endpoint);
    const storeFile = join(tmp.dir, 'b.sqlite');
    const store = openTestStore(storeFile);
    const rollups = makeRollups(4000);
    enqueue(store, rollups);
    const config = { gatewayId: 'gw-1', site: 'plant1', streamManager: { port: sm.port }, streamName: 'kill', kinesisStreamName: 'rollups-b', maxRollupsPerMessage: 20, inFlight: 4, pollIntervalMs: 50 };
    const configFile = join(tmp.dir, 'exporter.json');
    writeFileSync(configFile, JSON.stringify(config));
    // node itself runs main.ts (tsx as an --import loader): the tsx CLI would run it in a grandchild that a
    // SIGKILL of the CLI leaves running.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'components/stream-exporter/src/main.ts'), '--config', configFile, '--store', storeFile], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const sentCount = (): number => (store.db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE sent_ts IS NOT NULL').get() as { n: number }).n;
    await waitFor(`the child exporter sending (stderr: ${stderr})`, () => (sentCount() >= 200 ? true : undefined), 60_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const atKill = sentCount();
    expect(atKill).toBeLessThan(4000);

    const client = createStreamManagerClient({ port: sm.port, env: {} });
    const cfg = exporterConfig(config);
    const exporter = createStreamExporter(cfg, { store, sink: createStreamManagerSink(cfg, client), clock: systemClock, log: silentLogger() });
    exporter.start();
    await waitFor('outbox drained after restart', () => (store.outboxStats(Date.now()).depth === 0 ? true : undefined), 60_000);
    await exporter.stop();
    await waitFor('export to Kinesis complete', async () => {
      const info = await client.describeMessageStream('kill');
      return info.exportStatuses[0]!.lastExportedSequenceNumber === info.storageStatus.newestSequenceNumber ? true : undefined;
    }, 60_000);
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
    const config = exporterConfig({ target: 'kinesis', kinesisStreamName: 'rollups-c', kinesis: { endpoint: kinesis.endpoint }, maxRollupsPerMessage: 60 });
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
