import { isPcfError } from '@pcf-edge/core';
import {
  Connection,
  createStreamManagerClient,
  isStreamManagerStatus,
  Op,
  Persistence,
  StrategyOnFull,
  StreamManagerError,
  type StreamManagerClient,
} from '@pcf-edge/stream-manager-client';
import { silentLogger } from '@pcf-edge/core';
import type { StreamManagerServer } from '../src';
import { CONNECT, frame, rawSocket, startServer, tempDir } from './helpers';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('local Stream Manager over TCP (wire protocol)', () => {
  const tmp = tempDir();
  let server: StreamManagerServer;
  let port: number;
  let client: StreamManagerClient;

  beforeAll(async () => {
    ({ server, port } = await startServer(tmp.dir, { requireTokens: ['good-token'] }));
    client = createStreamManagerClient({ port, env: { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'good-token' } });
    await client.createMessageStream({ name: 'proto', strategyOnFull: StrategyOnFull.RejectNewData });
  });
  afterAll(async () => {
    client.close();
    await server.stop();
    tmp.remove();
  });

  it('answers 100 requests in flight on one connection, each with its own reply', async () => {
    const payloads = Array.from({ length: 100 }, (_, i) => Buffer.from(`message-${i}`));
    const seqs = await Promise.all(payloads.map((p) => client.appendMessage('proto', p)));
    expect(new Set(seqs.map(String)).size).toBe(100);
    const reads = await Promise.all(
      seqs.map((s) => client.readMessages('proto', { desiredStartSequenceNumber: s, maxMessageCount: 1 })),
    );
    reads.forEach((r, i) => {
      expect(r).toHaveLength(1);
      expect(r[0]!.sequenceNumber).toBe(seqs[i]);
      expect(r[0]!.payload.toString()).toBe(`message-${i}`);
    });
  });

  it('moves frames well above 64 KiB in both directions', async () => {
    await client.createMessageStream({ name: 'big', strategyOnFull: StrategyOnFull.RejectNewData });
    const large = Buffer.alloc(300_000, 0xab);
    const seq = await client.appendMessage('big', large);
    await Promise.all(Array.from({ length: 600 }, (_, i) => client.appendMessage('big', Buffer.alloc(200, i % 256))));
    const [first] = await client.readMessages('big', { desiredStartSequenceNumber: seq, maxMessageCount: 1 });
    expect(first!.payload.equals(large)).toBe(true);
    const many = await client.readMessages('big', {
      desiredStartSequenceNumber: seq + 1n,
      minMessageCount: 600,
      maxMessageCount: 600,
    });
    expect(many).toHaveLength(600);
    expect(many[599]!.payload.equals(Buffer.alloc(200, 599 % 256))).toBe(true);
  });

  it('parses frames split across TCP chunks and several frames in one chunk', async () => {
    const raw = await rawSocket(port);
    const bytes = Buffer.concat([
      Buffer.from([1]),
      frame(Op.Connect, { ...CONNECT, authToken: 'good-token' }),
      frame(Op.ListStreams, { requestId: 'l1' }),
      frame(Op.AppendMessage, { requestId: 'a1', name: 'proto', payload: Buffer.from('split') }),
    ]);
    for (let i = 0; i < bytes.length; i += 7) {
      raw.socket.write(bytes.subarray(i, i + 7));
      await new Promise((r) => setImmediate(r));
    }
    const replies = await raw.next(3);
    expect(replies[0]).toMatchObject({ op: Op.ConnectResponse, requestId: 'c0', status: 0, protocolVersion: '1.1.0' });
    const byId = new Map(replies.slice(1).map((r) => [r.requestId, r]));
    expect(byId.get('l1')).toMatchObject({ op: Op.ListStreamsResponse, status: 0 });
    expect(byId.get('a1')).toMatchObject({ op: Op.AppendMessageResponse, status: 0 });
    raw.socket.write(
      Buffer.concat([
        frame(Op.ListStreams, { requestId: 'l2' }),
        frame(Op.ListStreams, { requestId: 'l3' }),
        frame(Op.ListStreams, { requestId: 'l4' }),
      ]),
    );
    const more = await raw.next(6);
    expect(
      more
        .slice(3)
        .map((r) => r.requestId)
        .sort(),
    ).toEqual(['l2', 'l3', 'l4']);
    raw.socket.destroy();
  });

  it('answers an unknown operation with UnknownOperationError (op 17, status 18)', async () => {
    const conn = await Connection.open(
      {
        host: '127.0.0.1',
        port,
        connectTimeoutMs: 3000,
        authToken: 'good-token',
        maxFrameLength: 2 ** 30,
        log: silentLogger(),
      },
      () => undefined,
    );
    const err = await failure(conn.request(99, {}, 5000));
    expect(isStreamManagerStatus(err, 'UnknownOperation')).toBe(true);
    expect((err as StreamManagerError).status).toBe(18);
    expect(await conn.request(Op.ListStreams, {}, 5000)).toMatchObject({ status: 0 });
    conn.close();
  });

  it('refuses a wrong or missing auth token with Unauthorized (status 2)', async () => {
    const bad = createStreamManagerClient({ port, env: { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'wrong' } });
    const err = await failure(bad.listStreams());
    expect(isStreamManagerStatus(err, 'Unauthorized')).toBe(true);
    expect((err as StreamManagerError).status).toBe(2);
    bad.close();
    const none = createStreamManagerClient({ port, env: {} });
    expect(isStreamManagerStatus(await failure(none.listStreams()), 'Unauthorized')).toBe(true);
    none.close();
  });

  it('closes the connection on a garbled frame from the client and keeps serving others', async () => {
    const raw = await rawSocket(port);
    raw.socket.write(Buffer.concat([Buffer.from([1]), frame(Op.Connect, { ...CONNECT, authToken: 'good-token' })]));
    await raw.next(1);
    raw.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 4, 0, 0]));
    await raw.closed;
    const cbor = await rawSocket(port);
    cbor.socket.write(
      Buffer.concat([
        Buffer.from([1]),
        frame(Op.Connect, { ...CONNECT, authToken: 'good-token' }),
        Buffer.from([0, 0, 0, 3, 4, 0xbf, 0x61]),
      ]),
    );
    await cbor.closed;
    expect(await client.listStreams()).toContain('proto');
  });

  it('survives a truncated frame followed by a close', async () => {
    const raw = await rawSocket(port);
    raw.socket.end(
      Buffer.concat([Buffer.from([1]), frame(Op.Connect, { ...CONNECT, authToken: 'good-token' }).subarray(0, 10)]),
    );
    await raw.closed;
    expect(await client.listStreams()).toContain('proto');
  });

  it('closes a connection whose first frame is not Connect', async () => {
    const raw = await rawSocket(port);
    raw.socket.write(Buffer.concat([Buffer.from([1]), frame(Op.ListStreams, { requestId: 'x' })]));
    await raw.closed;
    expect(raw.frames).toHaveLength(0);
  });

  it('answers with status codes: ResourceNotFound, InvalidRequest, UpdateNotAllowed, NotEnoughMessages', async () => {
    expect(isStreamManagerStatus(await failure(client.describeMessageStream('nope')), 'ResourceNotFound')).toBe(true);
    expect(
      isStreamManagerStatus(await failure(client.appendMessage('nope', Buffer.from('x'))), 'ResourceNotFound'),
    ).toBe(true);
    const invalid = await failure(
      client.createMessageStream({ name: 'bad/name', strategyOnFull: StrategyOnFull.RejectNewData, maxSize: 10n }),
    );
    expect(isStreamManagerStatus(invalid, 'InvalidRequest')).toBe(true);
    expect(invalid.message).toMatch(/name must be/);
    expect(invalid.message).toMatch(/maxSize must be an integer in 1024/);
    expect(
      isStreamManagerStatus(
        await failure(client.createMessageStream({ name: 'proto', strategyOnFull: 0 })),
        'InvalidRequest',
      ),
    ).toBe(true);
    const change = await failure(
      client.updateMessageStream({ name: 'proto', strategyOnFull: 0, persistence: Persistence.Memory }),
    );
    expect(isStreamManagerStatus(change, 'UpdateNotAllowed')).toBe(true);
    await client.createMessageStream({ name: 'empty', strategyOnFull: 0 });
    expect(isStreamManagerStatus(await failure(client.readMessages('empty')), 'NotEnoughMessages')).toBe(true);
    const invalidRead = await failure(client.readMessages('empty', { minMessageCount: 5, maxMessageCount: 2 }));
    expect(isStreamManagerStatus(invalidRead, 'InvalidRequest')).toBe(true);
  });

  it('waits up to readTimeoutMillis for minMessageCount messages', async () => {
    await client.createMessageStream({ name: 'wait', strategyOnFull: 0 });
    const read = client.readMessages('wait', {
      desiredStartSequenceNumber: 0n,
      minMessageCount: 2,
      maxMessageCount: 5,
      readTimeoutMillis: 20_000,
    });
    await new Promise((r) => setTimeout(r, 100));
    await client.appendMessage('wait', Buffer.from('one'));
    await client.appendMessage('wait', Buffer.from('two'));
    const got = await read;
    expect(got.map((m) => m.payload.toString())).toEqual(['one', 'two']);
    const short = await failure(
      client.readMessages('wait', { desiredStartSequenceNumber: 0n, minMessageCount: 3, readTimeoutMillis: 200 }),
    );
    expect(isStreamManagerStatus(short, 'NotEnoughMessages')).toBe(true);
  });

  it('lists, describes, updates and deletes streams; int64 fields keep their precision', async () => {
    const start = 2n ** 60n + 1n;
    await client.createMessageStream({
      name: 'described',
      strategyOnFull: StrategyOnFull.OverwriteOldestData,
      maxSize: 2n ** 40n,
      timeToLiveMillis: 3_600_000n,
      exportDefinition: {
        kinesis: [
          { identifier: 'k1', kinesisStreamName: 'ks', batchSize: 10, priority: 3, startSequenceNumber: start },
        ],
      },
    });
    await client.appendMessage('described', Buffer.from('12345'));
    const info = await client.describeMessageStream('described');
    expect(info.definition).toMatchObject({
      name: 'described',
      maxSize: 2n ** 40n,
      timeToLiveMillis: 3_600_000n,
      persistence: Persistence.File,
      strategyOnFull: 1,
    });
    expect(info.definition.exportDefinition?.kinesis?.[0]?.startSequenceNumber).toBe(start);
    expect(info.storageStatus).toEqual({ oldestSequenceNumber: 0n, newestSequenceNumber: 0n, totalBytes: 5n });
    expect(info.exportStatuses[0]).toMatchObject({
      exportConfigIdentifier: 'k1',
      lastExportedSequenceNumber: start - 1n,
    });
    await client.updateMessageStream({ ...info.definition, exportDefinition: { kinesis: [] } });
    expect((await client.describeMessageStream('described')).exportStatuses).toEqual([]);
    expect(await client.listStreams()).toContain('described');
    await client.deleteMessageStream('described');
    expect(await client.listStreams()).not.toContain('described');
    expect(isStreamManagerStatus(await failure(client.deleteMessageStream('described')), 'ResourceNotFound')).toBe(
      true,
    );
  });

  it('rejects pending requests with a typed error when the server stops mid-request', async () => {
    const tmp2 = tempDir();
    const other = await startServer(tmp2.dir);
    const c = createStreamManagerClient({ port: other.port, env: {} });
    await c.createMessageStream({ name: 'w', strategyOnFull: 0 });
    const pending = c.readMessages('w', { minMessageCount: 1, readTimeoutMillis: 30_000 });
    await new Promise((r) => setTimeout(r, 100));
    await other.server.stop();
    expect(isPcfError(await failure(pending), 'ERR_SM_CONNECTION')).toBe(true);
    c.close();
    tmp2.remove();
  });
});
