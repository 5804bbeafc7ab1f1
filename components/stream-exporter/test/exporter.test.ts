import pino from 'pino';
import { isPcfError, makeRollupBatch, silentLogger, systemClock, validateRollupBatch } from '@pcf-edge/core';
import {
  createStreamManagerClient,
  isStreamManagerStatus,
  type StreamManagerClient,
} from '@pcf-edge/stream-manager-client';
import { createStreamManagerServer, type StreamManagerServer } from '@pcf-edge/stream-manager-sim';
import { join } from 'node:path';
import {
  buildMessages,
  pendingReader,
  createStreamExporter,
  loadExporterConfig,
  createStreamManagerSink,
  parseExporterConfig,
  RowPicker,
  STATE_KEY,
  STATE_OWNER,
  type ExporterStatus,
} from '../src';
import { enqueue, exporterConfig, makeRollups, openTestStore, tempDir, waitFor } from './fixtures';

async function startSm(dir: string, port = 0): Promise<{ server: StreamManagerServer; port: number }> {
  const server = createStreamManagerServer({ port, dir }, { log: silentLogger() });
  return { server, port: (await server.start()).port };
}

async function readAll(
  client: StreamManagerClient,
  stream: string,
): Promise<{ seq: bigint; rollups: { id: string; revision: number }[] }[]> {
  const info = await client.describeMessageStream(stream);
  if (info.storageStatus.newestSequenceNumber < 0n) return [];
  const msgs = await client.readMessages(stream, { desiredStartSequenceNumber: 0n, maxMessageCount: 100_000 });
  return msgs.map((m) => ({
    seq: m.sequenceNumber,
    rollups: validateRollupBatch(JSON.parse(m.payload.toString())).rollups,
  }));
}

describe('stream exporter config', () => {
  it('accepts the sample configuration', () => {
    expect(loadExporterConfig(join(__dirname, '..', 'config.sample.yaml'))).toMatchObject({
      target: 'streamManager',
      whenFull: 'block',
    });
  });

  it('applies defaults and lists every problem', () => {
    const c = parseExporterConfig({ gatewayId: 'g', site: 's' });
    expect(c).toMatchObject({
      target: 'streamManager',
      whenFull: 'block',
      maxRollupsPerMessage: 500,
      persistence: 'File',
      strategyOnFull: 'RejectNewData',
    });
    let err: unknown;
    try {
      parseExporterConfig({ gatewayId: 'g', site: 's', target: 'kinesis', whenFull: 'later', colour: 'red' });
    } catch (e) {
      err = e;
    }
    expect(isPcfError(err, 'ERR_CONFIG_INVALID')).toBe(true);
    const errors = (err as { details: { errors: string[] } }).details.errors;
    expect(errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/unknown property 'colour'/), expect.stringMatching(/\/whenFull/)]),
    );
    expect(() => parseExporterConfig({ gatewayId: 'g', site: 's', target: 'kinesis' })).toThrow(
      /kinesisStreamName: required when target is 'kinesis'/,
    );
  });

  it('accepts the old initialBackoffMs/maxBackoffMs for one release as retry, warning with file, old and new key', () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
    const c = parseExporterConfig(
      { gatewayId: 'g', site: 's', initialBackoffMs: 100, maxBackoffMs: 900 },
      'x.yaml',
      log,
    );
    expect(c.retry).toEqual({ initialDelayMs: 100, maxDelayMs: 900, multiplier: 2, jitter: 'none' });
    expect(lines.map((l) => [l.file, l.oldKey, l.newKey])).toEqual([
      ['x.yaml', '/initialBackoffMs', '/retry/initialDelayMs'],
      ['x.yaml', '/maxBackoffMs', '/retry/maxDelayMs'],
    ]);
    expect(() => parseExporterConfig({ gatewayId: 'g', site: 's', maxBackoffMs: 100 }, 'x.yaml', log)).toThrow(
      '/maxBackoffMs: 100 is smaller than initialDelayMs (500)',
    );
    expect(() =>
      parseExporterConfig({ gatewayId: 'g', site: 's', maxBackoffMs: 100, retry: { maxDelayMs: 100 } }, 'x.yaml', log),
    ).toThrow('/maxBackoffMs: deprecated spelling of /retry/maxDelayMs, which is also given');
  });
});

describe('picking and building messages', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('takes the oldest rows first and, with a backlog, every other pick the rows enqueued since the last live pick', () => {
    const store = openTestStore(`${tmp.dir}/pick.sqlite`);
    enqueue(store, makeRollups(4));
    const quiet = new RowPicker(store, { maxRollupsPerMessage: 4 });
    expect(quiet.next(new Set(), 0)).toEqual({ rows: store.pendingOutbox(4), live: false });
    enqueue(store, makeRollups(26, { start: 4 }));
    const picker = new RowPicker(store, { maxRollupsPerMessage: 4 });
    const inFlight = new Set<number>();
    const pick = (after: number): [number[], boolean] => {
      const { rows, live } = picker.next(inFlight, after);
      for (const r of rows) inFlight.add(r.seq);
      return [rows.map((r) => r.seq), live];
    };
    expect(pick(0)).toEqual([[1, 2, 3, 4], false]);
    expect(pick(4)).toEqual([[27, 28, 29, 30], true]);
    expect(pick(4)).toEqual([[5, 6, 7, 8], false]);
    expect(pick(8)).toEqual([[9, 10, 11, 12], false]);
    enqueue(store, makeRollups(2, { start: 30 }));
    expect(pick(12)).toEqual([[13, 14, 15, 16], false]);
    expect(pick(16)).toEqual([[31, 32], true]);
    store.close();
  });

  it('splits a group whose message would exceed the size limit, and reports rows without a rollup', () => {
    const store = openTestStore(`${tmp.dir}/build.sqlite`);
    const rollups = makeRollups(40);
    enqueue(store, rollups);
    store.enqueueOutbox([{ rollupId: 'f'.repeat(32), revision: 1, windowStartMs: 0 }], Date.now());
    const rows = pendingReader(store).pendingOutbox(100);
    const { messages, missing } = buildMessages(rows, { gatewayId: 'g', site: 'plant1' }, new Date(), 8 * 1024);
    expect(missing.map((r) => r.rollupId)).toEqual(['f'.repeat(32)]);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(m.data.length).toBeLessThanOrEqual(8 * 1024);
    expect(messages.flatMap((m) => m.seqs)).toEqual(rows.slice(0, 40).map((r) => r.seq));
    store.close();
  });

  it('splices the stored JSON into exactly the bytes of the serialised batch, newest revision once per id', () => {
    const store = openTestStore(`${tmp.dir}/splice.sqlite`);
    const rollups = makeRollups(30);
    enqueue(store, rollups);
    const newer = { ...rollups[3]!, revision: 2, delta: 99.5, flags: ['estimated-gap'] as string[] };
    enqueue(store, [newer]);
    const rows = pendingReader(store).pendingOutbox(100);
    expect(rows).toHaveLength(31);
    const now = new Date(Date.UTC(2026, 10, 2, 3, 4, 5));
    const { messages } = buildMessages(rows, { gatewayId: 'g"1', site: 'plant1' }, now);
    expect(messages).toHaveLength(1);
    const expected = rollups.map((r) => (r.id === newer.id ? newer : r));
    expect(messages[0]!.data.toString()).toBe(JSON.stringify(makeRollupBatch('g"1', 'plant1', expected, now)));
    expect(messages[0]!.rollups).toBe(30);
    expect(messages[0]!.seqs).toEqual(rows.map((r) => r.seq));
    expect(() => validateRollupBatch(JSON.parse(messages[0]!.data.toString()))).not.toThrow();
    store.close();
  });

  it('splices multi-byte JSON exactly and counts the message size in UTF-8 bytes, not characters', () => {
    const store = openTestStore(`${tmp.dir}/splice-utf8.sqlite`);
    const rollups = makeRollups(12).map((r, i) => ({ ...r, line: i % 2 === 0 ? 'Línea Ø-🔥' : 'L1' }));
    enqueue(store, rollups);
    const rows = pendingReader(store).pendingOutbox(100);
    const now = new Date(Date.UTC(2026, 10, 2, 3, 4, 5));
    const whole = buildMessages(rows, { gatewayId: 'gé', site: 'plant1' }, now).messages;
    expect(whole).toHaveLength(1);
    const text = JSON.stringify(makeRollupBatch('gé', 'plant1', rollups, now));
    expect(whole[0]!.data.equals(Buffer.from(text))).toBe(true);
    // one byte under the UTF-8 size (well above the character count): the batch must be split
    const bytes = Buffer.byteLength(text);
    expect(bytes).toBeGreaterThan(text.length);
    const split = buildMessages(rows, { gatewayId: 'gé', site: 'plant1' }, now, bytes - 1).messages;
    expect(split.length).toBeGreaterThan(1);
    for (const m of split) {
      expect(m.data.length).toBeLessThan(bytes);
      expect(() => validateRollupBatch(JSON.parse(m.data.toString()))).not.toThrow();
    }
    expect(split.flatMap((m) => m.seqs)).toEqual(rows.map((r) => r.seq));
    expect(buildMessages(rows, { gatewayId: 'gé', site: 'plant1' }, now, bytes).messages).toHaveLength(1);
    store.close();
  });
});

describe('stream exporter → local Stream Manager', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('ensures the stream, drains the outbox in order and keeps the sequence numbers', async () => {
    const sm = await startSm(`${tmp.dir}/sm1`);
    const store = openTestStore(`${tmp.dir}/g1.sqlite`);
    const rollups = makeRollups(250);
    enqueue(store, rollups);
    const config = exporterConfig({
      streamManager: { port: sm.port },
      maxRollupsPerMessage: 40,
      inFlight: 1,
      kinesisStreamName: 'k',
      maxSizeBytes: 10_000_000,
    });
    const client = createStreamManagerClient({ port: sm.port, env: {} });
    const exporter = createStreamExporter(config, {
      store,
      sink: createStreamManagerSink(config, client),
      clock: systemClock,
      log: silentLogger(),
    });
    let total = 0;
    for (let i = 0; i < 20; i++) total += await exporter.drainOnce();
    expect(total).toBe(250);
    expect(store.outboxStats(Date.now()).depth).toBe(0);
    const info = await client.describeMessageStream(config.streamName);
    expect(info.definition).toMatchObject({ maxSize: 10_000_000n, strategyOnFull: 0, persistence: 0 });
    expect(info.definition.exportDefinition?.kinesis?.[0]).toMatchObject({
      kinesisStreamName: 'k',
      batchSize: 500,
      priority: 1,
    });
    const msgs = await readAll(client, config.streamName);
    const sent = msgs.flatMap((m) => m.rollups.map((r) => r.id));
    expect(new Set(sent)).toEqual(new Set(rollups.map((r) => r.id)));
    const rows = store.db
      .prepare('SELECT seq, rollup_id AS id, sequence_number AS sn FROM outbox ORDER BY seq')
      .all() as { seq: number; id: string; sn: string }[];
    expect(rows.every((r) => /^\d+$/.test(r.sn))).toBe(true);
    // Order: the backlog goes oldest first; the one live pick (second message) carried the newest rows.
    const seqOf = new Map(rows.map((r) => [r.id, r.seq]));
    const seqs = msgs.map((m) => m.rollups.map((r) => seqOf.get(r.id)!));
    expect(seqs[1]).toEqual(Array.from({ length: 40 }, (_, i) => 211 + i));
    const backlog = seqs.filter((_, i) => i !== 1).flat();
    expect(backlog).toEqual(Array.from({ length: 210 }, (_, i) => i + 1));
    expect(rows.find((r) => r.seq === 1)!.sn).toBe('0');
    // A second exporter start is idempotent: it updates the existing stream instead of failing.
    await createStreamManagerSink(config, client).ensure();
    client.close();
    store.close();
    await sm.server.stop();
  });

  it('backs off while Stream Manager is down, reports it, keeps every row, and drains once it is back', async () => {
    const dir = `${tmp.dir}/sm2`;
    let sm = await startSm(dir);
    const port = sm.port;
    const store = openTestStore(`${tmp.dir}/g2.sqlite`);
    const config = exporterConfig({
      streamManager: { port, connectTimeoutMs: 500 },
      maxRollupsPerMessage: 25,
      outboxCap: 100,
    });
    const client = createStreamManagerClient({
      port,
      env: {},
      connectTimeoutMs: 500,
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    const exporter = createStreamExporter(config, {
      store,
      sink: createStreamManagerSink(config, client),
      clock: systemClock,
      log: silentLogger(),
    });
    exporter.start();
    enqueue(store, makeRollups(50));
    await waitFor('first rows sent', () => (store.outboxStats(Date.now()).depth === 0 ? true : undefined));
    await sm.server.stop();
    enqueue(store, makeRollups(150, { start: 50 }));
    const down = await waitFor('exporter reports the outage', () => {
      const s = JSON.parse(store.getState(STATE_OWNER, STATE_KEY) ?? '{}') as ExporterStatus;
      return s.reachable === false && s.lastError ? s : undefined;
    });
    expect(down.outboxDepth).toBe(150);
    expect(down.overCap).toBe(true);
    expect(down.droppedRollups).toBe(0);
    sm = await startSm(dir, port);
    await waitFor('backlog drained', () => (store.outboxStats(Date.now()).depth === 0 ? true : undefined));
    await exporter.stop();
    const reader = createStreamManagerClient({ port, env: {} });
    const ids = (await readAll(reader, config.streamName)).flatMap((m) => m.rollups.map((r) => r.id));
    expect(new Set(ids)).toEqual(new Set(makeRollups(200).map((r) => r.id)));
    reader.close();
    client.close();
    store.close();
    await sm.server.stop();
  });

  it('never drops a row when the Stream Manager stream rejects new data', async () => {
    const sm = await startSm(`${tmp.dir}/sm3`);
    const store = openTestStore(`${tmp.dir}/g3.sqlite`);
    const config = exporterConfig({ streamManager: { port: sm.port }, maxRollupsPerMessage: 10, maxSizeBytes: 8192 });
    const client = createStreamManagerClient({ port: sm.port, env: {} });
    const exporter = createStreamExporter(config, {
      store,
      sink: createStreamManagerSink(config, client),
      clock: systemClock,
      log: silentLogger(),
    });
    enqueue(store, makeRollups(100));
    let failure: unknown;
    for (let i = 0; i < 20 && failure === undefined; i++)
      await exporter.drainOnce().catch((e: unknown) => {
        failure = e;
      });
    expect(isStreamManagerStatus(failure, 'InvalidRequest')).toBe(true);
    const depth = store.outboxStats(Date.now()).depth;
    const sent = (store.db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE sent_ts IS NOT NULL').get() as { n: number })
      .n;
    expect(depth + sent).toBe(100);
    const stored = (await readAll(client, config.streamName)).flatMap((m) => m.rollups).length;
    expect(stored).toBe(sent);
    client.close();
    store.close();
    await sm.server.stop();
  });

  it('whenFull dropOldest marks the oldest rows over the cap as dropped, counted, even while Stream Manager is down', async () => {
    const store = openTestStore(`${tmp.dir}/g4.sqlite`);
    const config = exporterConfig({
      streamManager: { port: 1, connectTimeoutMs: 200 },
      outboxCap: 10,
      whenFull: 'dropOldest',
    });
    const client = createStreamManagerClient({ port: 1, env: {}, connectTimeoutMs: 200 });
    const exporter = createStreamExporter(config, {
      store,
      sink: createStreamManagerSink(config, client),
      clock: systemClock,
      log: silentLogger(),
    });
    enqueue(store, makeRollups(15));
    await expect(exporter.drainOnce()).rejects.toThrow();
    const dropped = store.db.prepare("SELECT seq FROM outbox WHERE sequence_number = 'dropped' ORDER BY seq").all() as {
      seq: number;
    }[];
    expect(dropped.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(store.outboxStats(Date.now()).depth).toBe(10);
    expect(exporter.status()).toMatchObject({ droppedRollups: 5, overCap: false });
    client.close();
    store.close();
  });
});

describe('one site model', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it("a gateway id other than the aggregator's is a configuration error naming both places", () => {
    const store = openTestStore(`${tmp.dir}/site.sqlite`);
    store.publishSiteClaims('com.pcfedge.LineAggregator', 'agg.json', [
      { meterId: '', field: 'site', value: 'plant1', strength: 'given', place: '/site' },
      { meterId: '', field: 'gatewayId', value: 'gw-1', strength: 'given', place: '/gatewayId' },
    ]);
    const config = exporterConfig({ gatewayId: 'gw-2' });
    const sink = createStreamManagerSink(config, createStreamManagerClient({ port: 1, env: {} }));
    const create = () =>
      createStreamExporter(config, { store, sink, clock: systemClock, log: silentLogger(), configSource: 'exp.yaml' });
    expect(create).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        details: expect.objectContaining({
          errors: [
            "/gatewayId: gatewayId 'gw-2' at com.pcfedge.StreamExporter /gatewayId (exp.yaml) contradicts 'gw-1' at com.pcfedge.LineAggregator /gatewayId (agg.json)",
          ],
        }) as unknown,
      }) as Error,
    );
    expect(() =>
      createStreamExporter(exporterConfig(), { store, sink, clock: systemClock, log: silentLogger() }),
    ).not.toThrow();
    sink.close();
    store.close();
  });
});
