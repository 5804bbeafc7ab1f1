import { createServer, type AddressInfo } from 'node:net';
import { isPcfError } from '@pcf-edge/core';
import {
  createStreamManagerClient,
  isStreamManagerStatus,
  Op,
  resolvePort,
  StreamManagerError,
  type StreamManagerClient,
} from '../src';
import { startScripted, type Scripted } from './scripted-server';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('Stream Manager client against a scripted peer', () => {
  let peer: Scripted | undefined;
  let client: StreamManagerClient | undefined;
  afterEach(async () => {
    client?.close();
    await peer?.close();
    client = undefined;
    peer = undefined;
  });

  it('sends the auth token from AWS_CONTAINER_AUTHORIZATION_TOKEN, and omits the key when unset', async () => {
    peer = await startScripted((p, op, body) =>
      p.reply(Op.ListStreamsResponse, { requestId: body.requestId, status: 0, streams: ['a'] }),
    );
    client = createStreamManagerClient({ port: peer.port, env: { AWS_CONTAINER_AUTHORIZATION_TOKEN: 's3cret' } });
    expect(await client.listStreams()).toEqual(['a']);
    const plain = createStreamManagerClient({ port: peer.port, env: {} });
    expect(await plain.listStreams()).toEqual(['a']);
    plain.close();
    const connects = peer.peers.map((p) => p.received.find((r) => r.op === Op.Connect)!.body);
    expect(connects[0]!.authToken).toBe('s3cret');
    expect('authToken' in connects[1]!).toBe(false);
    expect(connects[0]!.protocolVersion).toBe('1.1.0');
    expect(connects[0]!.otherSupportedProtocolVersions).toEqual(['1.0.0']);
  });

  it('uses a fresh UUID per request', async () => {
    peer = await startScripted((p, op, body) =>
      p.reply(Op.ListStreamsResponse, { requestId: body.requestId, status: 0, streams: [] }),
    );
    client = createStreamManagerClient({ port: peer.port, env: {} });
    await Promise.all([client.listStreams(), client.listStreams(), client.listStreams()]);
    const ids = peer.peers[0]!.received.map((r) => r.body.requestId as string);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects every pending request with ERR_SM_CONNECTION when the server closes mid-request', async () => {
    peer = await startScripted((p) => {
      if (p.received.length === 4) p.socket.destroy();
    });
    client = createStreamManagerClient({ port: peer.port, env: {} });
    const results = await Promise.allSettled([
      client.listStreams(),
      client.listStreams(),
      client.appendMessage('s', Buffer.from('x')),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(isPcfError((r as PromiseRejectedResult).reason, 'ERR_SM_CONNECTION')).toBe(true);
    }
  });

  it('treats a garbled frame from the server as ERR_SM_PROTOCOL and closes, without hanging', async () => {
    peer = await startScripted((p) => p.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xf0, 9, 1, 2])));
    client = createStreamManagerClient({ port: peer.port, env: {} });
    expect(isPcfError(await failure(client.listStreams()), 'ERR_SM_PROTOCOL')).toBe(true);
  });

  it('treats undecodable CBOR from the server as ERR_SM_PROTOCOL', async () => {
    peer = await startScripted((p) => p.socket.write(Buffer.from([0, 0, 0, 3, 12, 0xbf, 0x61])));
    client = createStreamManagerClient({ port: peer.port, env: {} });
    expect(isPcfError(await failure(client.listStreams()), 'ERR_SM_PROTOCOL')).toBe(true);
  });

  it('a truncated frame followed by close is ERR_SM_CONNECTION', async () => {
    peer = await startScripted((p) => {
      p.socket.write(Buffer.from([0, 0, 1, 0, 12, 0xa1]));
      setTimeout(() => p.socket.end(), 20);
    });
    client = createStreamManagerClient({ port: peer.port, env: {} });
    expect(isPcfError(await failure(client.listStreams()), 'ERR_SM_CONNECTION')).toBe(true);
  });

  it('times out a request that gets no reply (ERR_SM_TIMEOUT) and ignores the late reply', async () => {
    peer = await startScripted(() => undefined);
    client = createStreamManagerClient({ port: peer.port, env: {}, requestTimeoutMs: 200 });
    expect(isPcfError(await failure(client.listStreams()), 'ERR_SM_TIMEOUT')).toBe(true);
  });

  it('times out a handshake that never completes (connect timeout)', async () => {
    peer = await startScripted(() => undefined, { handshake: 'silent' });
    client = createStreamManagerClient({ port: peer.port, env: {}, connectTimeoutMs: 200 });
    const err = await failure(client.listStreams());
    expect(isPcfError(err, 'ERR_SM_TIMEOUT')).toBe(true);
    expect(err.message).toMatch(/connect .* timed out after 200 ms/);
  });

  it('refuses a server whose connect-version byte is not 1', async () => {
    peer = await startScripted(() => undefined, { handshake: 2 });
    client = createStreamManagerClient({ port: peer.port, env: {} });
    const err = await failure(client.listStreams());
    expect(isStreamManagerStatus(err, 'UnsupportedConnectVersion')).toBe(true);
  });

  it('maps a status to a typed StreamManagerError', async () => {
    peer = await startScripted((p, op, body) =>
      p.reply(Op.DescribeMessageStreamResponse, {
        requestId: body.requestId,
        status: 5,
        errorMessage: 'no such stream',
      }),
    );
    client = createStreamManagerClient({ port: peer.port, env: {} });
    const err = await failure(client.describeMessageStream('nope'));
    expect(err).toBeInstanceOf(StreamManagerError);
    expect((err as StreamManagerError).status).toBe(5);
    expect((err as StreamManagerError).statusName).toBe('ResourceNotFound');
    expect(isPcfError(err, 'ERR_SM_STATUS')).toBe(true);
  });

  it('refuses an oversize message before sending anything', async () => {
    peer = await startScripted((p, op, body) =>
      p.reply(Op.AppendMessageResponse, { requestId: body.requestId, status: 0, sequenceNumber: 0 }),
    );
    client = createStreamManagerClient({ port: peer.port, env: {}, maxMessageBytes: 1024 });
    expect(await client.appendMessage('s', Buffer.alloc(1024, 1))).toBe(0n);
    const err = await failure(client.appendMessage('s', Buffer.alloc(1025, 1)));
    expect(isPcfError(err, 'ERR_SM_PAYLOAD_TOO_LARGE')).toBe(true);
    expect(peer.peers[0]!.received.filter((r) => r.op === Op.AppendMessage)).toHaveLength(1);
  });

  it('refuses a frame above maxFrameLength before sending', async () => {
    peer = await startScripted((p, op, body) =>
      p.reply(Op.AppendMessageResponse, { requestId: body.requestId, status: 0, sequenceNumber: 0 }),
    );
    client = createStreamManagerClient({ port: peer.port, env: {}, maxFrameLength: 4096 });
    expect(
      isPcfError(await failure(client.appendMessage('s', Buffer.alloc(5000, 1))), 'ERR_SM_PAYLOAD_TOO_LARGE'),
    ).toBe(true);
    expect(peer.peers[0]!.received.filter((r) => r.op === Op.AppendMessage)).toHaveLength(0);
  });

  it('reconnects lazily after the connection dropped', async () => {
    peer = await startScripted((p, op, body) =>
      p.reply(Op.ListStreamsResponse, {
        requestId: body.requestId,
        status: 0,
        streams: [String(peer!.peers.indexOf(p))],
      }),
    );
    client = createStreamManagerClient({ port: peer.port, env: {} });
    expect(await client.listStreams()).toEqual(['0']);
    peer.peers[0]!.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(await client.listStreams()).toEqual(['1']);
  });

  it('fails with ERR_SM_CONNECTION while nothing listens, then connects once the server is up', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    client = createStreamManagerClient({ port, env: {}, retry: { initialDelayMs: 20, maxDelayMs: 100 } });
    expect(isPcfError(await failure(client.listStreams()), 'ERR_SM_CONNECTION')).toBe(true);
    expect(isPcfError(await failure(client.listStreams()), 'ERR_SM_CONNECTION')).toBe(true);
    peer = await startScripted(
      (p, op, body) => p.reply(Op.ListStreamsResponse, { requestId: body.requestId, status: 0, streams: ['up'] }),
      { port },
    );
    expect(await client.listStreams()).toEqual(['up']);
  });

  it('rejects calls after close()', async () => {
    client = createStreamManagerClient({ port: 1, env: {} });
    client.close();
    expect(isPcfError(await failure(client.listStreams()), 'ERR_SM_CONNECTION')).toBe(true);
  });
});

describe('resolvePort', () => {
  it('prefers the option, then STREAM_MANAGER_SERVER_PORT, then 8088', () => {
    expect(resolvePort(9000, { STREAM_MANAGER_SERVER_PORT: '9100' })).toBe(9000);
    expect(resolvePort(undefined, { STREAM_MANAGER_SERVER_PORT: '9100' })).toBe(9100);
    expect(resolvePort(undefined, {})).toBe(8088);
    expect(() => resolvePort(undefined, { STREAM_MANAGER_SERVER_PORT: 'eighty' })).toThrow(
      /STREAM_MANAGER_SERVER_PORT is not a TCP port: "eighty"/,
    );
  });
});
