import { createServer, type AddressInfo } from 'node:net';
import { createStreamManagerClient, StrategyOnFull, type StreamManagerClient } from '@pcf-edge/stream-manager-client';
import { createLocalStream, readAllRecords, startLocalKinesis, type LocalKinesis } from '../../../test-support/kinesis';
import { kinesisClientFor } from '../src';
import { startServer, tempDir, waitFor } from './helpers';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

async function exported(client: StreamManagerClient, stream: string): Promise<bigint> {
  return (await client.describeMessageStream(stream)).exportStatuses[0]!.lastExportedSequenceNumber;
}

describe('local Stream Manager export to Kinesis (kinesalite)', () => {
  const tmp = tempDir();
  let kinesis: LocalKinesis | undefined;
  afterAll(async () => {
    await kinesis?.stop();
    tmp.remove();
  });

  it('exports every message as one record to a multi-shard stream, in batches', async () => {
    kinesis = await startLocalKinesis({ shards: 3, streams: ['rollups'] });
    const { server, port } = await startServer(`${tmp.dir}/a`, {}, { kinesis: kinesisClientFor(kinesis.endpoint, {}) });
    const c = createStreamManagerClient({ port, env: {} });
    await c.createMessageStream({
      name: 'out',
      strategyOnFull: StrategyOnFull.RejectNewData,
      exportDefinition: { kinesis: [{ identifier: 'toKinesis', kinesisStreamName: 'rollups', batchSize: 10 }] },
    });
    const sent = Array.from({ length: 55 }, (_, i) => `payload-${i}`);
    await Promise.all(sent.map((p) => c.appendMessage('out', Buffer.from(p))));
    await waitFor('export of 55 messages', async () => ((await exported(c, 'out')) === 54n ? true : undefined));
    const status = (await c.describeMessageStream('out')).exportStatuses[0]!;
    expect(status.exportedMessagesCount).toBe(55n);
    expect(status.errorMessage).toBeUndefined();
    const records = await readAllRecords(kinesis.client, 'rollups');
    expect(records.map((r) => r.toString()).sort()).toEqual([...sent].sort());
    c.close();
    await server.stop();
  });

  it('keeps messages while the Kinesis endpoint is down and exports them once it is up', async () => {
    const kport = await freePort();
    const dir = `${tmp.dir}/b`;
    const { server, port } = await startServer(
      dir,
      { export: { retry: { initialDelayMs: 50, maxDelayMs: 300 } } },
      { kinesis: kinesisClientFor(`http://127.0.0.1:${kport}`, {}) },
    );
    const c = createStreamManagerClient({ port, env: {} });
    await c.createMessageStream({
      name: 'out',
      strategyOnFull: StrategyOnFull.RejectNewData,
      exportDefinition: { kinesis: [{ identifier: 'toKinesis', kinesisStreamName: 'late', batchSize: 500 }] },
    });
    for (let i = 0; i < 30; i++) await c.appendMessage('out', Buffer.from(`m${i}`));
    const down = await waitFor(
      'an export error',
      async () => (await c.describeMessageStream('out')).exportStatuses[0]!.errorMessage,
    );
    expect(down.length).toBeGreaterThan(0);
    expect(await exported(c, 'out')).toBe(-1n);
    expect((await c.describeMessageStream('out')).storageStatus.newestSequenceNumber).toBe(29n);

    const late = await startLocalKinesis({ port: kport });
    try {
      await createLocalStream(late.client, 'late', 2);
      await waitFor('export after the endpoint came up', async () =>
        (await exported(c, 'out')) === 29n ? true : undefined,
      );
      const records = await readAllRecords(late.client, 'late');
      expect(records.map((r) => r.toString()).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
      expect((await c.describeMessageStream('out')).exportStatuses[0]!.errorMessage).toBeUndefined();
    } finally {
      c.close();
      await server.stop();
      await late.stop();
    }
  });

  it('does not export a disabled export, and starts at startSequenceNumber', async () => {
    kinesis ??= await startLocalKinesis();
    await createLocalStream(kinesis.client, 'partial', 1);
    const { server, port } = await startServer(`${tmp.dir}/c`, {}, { kinesis: kinesisClientFor(kinesis.endpoint, {}) });
    const c = createStreamManagerClient({ port, env: {} });
    await c.createMessageStream({
      name: 'out',
      strategyOnFull: 0,
      exportDefinition: {
        kinesis: [
          { identifier: 'fromFive', kinesisStreamName: 'partial', startSequenceNumber: 5n },
          { identifier: 'off', kinesisStreamName: 'partial', disabled: true },
        ],
      },
    });
    for (let i = 0; i < 8; i++) await c.appendMessage('out', Buffer.from(`x${i}`));
    await waitFor('export from 5', async () => ((await exported(c, 'out')) === 7n ? true : undefined));
    const statuses = (await c.describeMessageStream('out')).exportStatuses;
    expect(statuses.find((s) => s.exportConfigIdentifier === 'off')!.lastExportedSequenceNumber).toBe(-1n);
    const records = await readAllRecords(kinesis.client, 'partial');
    expect(records.map((r) => r.toString()).sort()).toEqual(['x5', 'x6', 'x7']);
    c.close();
    await server.stop();
  });
});
