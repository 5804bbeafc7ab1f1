import { ManualClock } from '@pcf-edge/core';
import {
  createStreamManagerClient,
  isStreamManagerStatus,
  Persistence,
  StrategyOnFull,
} from '@pcf-edge/stream-manager-client';
import { startServer, tempDir } from './helpers';

describe('local Stream Manager storage', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('keeps File messages and sequence numbers across a restart; Memory messages do not survive', async () => {
    const dir = `${tmp.dir}/restart`;
    const first = await startServer(dir);
    const c1 = createStreamManagerClient({ port: first.port, env: {} });
    await c1.createMessageStream({
      name: 'file',
      strategyOnFull: StrategyOnFull.RejectNewData,
      persistence: Persistence.File,
    });
    await c1.createMessageStream({
      name: 'mem',
      strategyOnFull: StrategyOnFull.RejectNewData,
      persistence: Persistence.Memory,
    });
    for (let i = 0; i < 20; i++) await c1.appendMessage('file', Buffer.from(`f${i}`));
    await c1.appendMessage('mem', Buffer.from('m0'));
    c1.close();
    await first.server.stop();

    const second = await startServer(dir);
    const c2 = createStreamManagerClient({ port: second.port, env: {} });
    const read = await c2.readMessages('file', {
      desiredStartSequenceNumber: 0n,
      minMessageCount: 20,
      maxMessageCount: 100,
    });
    expect(read.map((m) => m.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `f${i}`));
    expect(await c2.appendMessage('file', Buffer.from('f20'))).toBe(20n);
    expect((await c2.describeMessageStream('mem')).storageStatus.totalBytes).toBe(0n);
    expect(isStreamManagerStatus(await c2.readMessages('mem').catch((e: unknown) => e), 'NotEnoughMessages')).toBe(
      true,
    );
    c2.close();
    await second.server.stop();
  });

  it('RejectNewData refuses an append to a full stream; OverwriteOldestData drops the oldest', async () => {
    const { server, port } = await startServer(`${tmp.dir}/full`);
    const c = createStreamManagerClient({ port, env: {} });
    await c.createMessageStream({ name: 'reject', strategyOnFull: StrategyOnFull.RejectNewData, maxSize: 1024n });
    await c.createMessageStream({
      name: 'overwrite',
      strategyOnFull: StrategyOnFull.OverwriteOldestData,
      maxSize: 1024n,
    });
    for (let i = 0; i < 4; i++) await c.appendMessage('reject', Buffer.alloc(256, i));
    const full = await c.appendMessage('reject', Buffer.alloc(1, 9)).catch((e: unknown) => e);
    expect(isStreamManagerStatus(full, 'InvalidRequest')).toBe(true);
    expect((full as Error).message).toMatch(/is full/);
    for (let i = 0; i < 10; i++) await c.appendMessage('overwrite', Buffer.alloc(300, i));
    const info = await c.describeMessageStream('overwrite');
    expect(info.storageStatus).toEqual({ oldestSequenceNumber: 7n, newestSequenceNumber: 9n, totalBytes: 900n });
    const left = await c.readMessages('overwrite', {
      desiredStartSequenceNumber: 0n,
      minMessageCount: 3,
      maxMessageCount: 10,
    });
    expect(left.map((m) => m.sequenceNumber)).toEqual([7n, 8n, 9n]);
    const tooBig = await c.appendMessage('overwrite', Buffer.alloc(2000, 1)).catch((e: unknown) => e);
    expect(isStreamManagerStatus(tooBig, 'RequestPayloadTooLarge')).toBe(true);
    c.close();
    await server.stop();
  });

  it('expires messages older than timeToLiveMillis', async () => {
    const clock = new ManualClock(1_000_000);
    const { server, port } = await startServer(`${tmp.dir}/ttl`, { expireEveryMs: 60_000 }, { clock });
    const c = createStreamManagerClient({ port, env: {} });
    await c.createMessageStream({ name: 'ttl', strategyOnFull: 0, timeToLiveMillis: 60_000n });
    await c.appendMessage('ttl', Buffer.from('old'));
    clock.advance(30_000);
    await c.appendMessage('ttl', Buffer.from('young'));
    clock.advance(30_001);
    server.registry.expire();
    const left = await c.readMessages('ttl', { desiredStartSequenceNumber: 0n, maxMessageCount: 10 });
    expect(left.map((m) => m.payload.toString())).toEqual(['young']);
    expect((await c.describeMessageStream('ttl')).storageStatus).toEqual({
      oldestSequenceNumber: 1n,
      newestSequenceNumber: 1n,
      totalBytes: 5n,
    });
    c.close();
    await server.stop();
  });
});
