import type { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import { startServer, tempDir, waitFor } from './helpers';

/**
 * kinesalite never rejects single records, so the partial-failure path runs against a scripted Kinesis client:
 * the first PutRecords call rejects record 1 of 3.
 */
describe('Kinesis export retry of rejected records', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('retries only the rejected record and advances lastExportedSequenceNumber only past acknowledged ones', async () => {
    const calls: string[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const kinesis = {
      send: async (cmd: PutRecordsCommand) => {
        const data = (cmd.input.Records ?? []).map((r) => Buffer.from(r.Data!).toString());
        calls.push(data);
        if (calls.length === 1) {
          return {
            Records: data.map((_, i) =>
              i === 1
                ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' }
                : { SequenceNumber: `${i}`, ShardId: 's' },
            ),
          };
        }
        await gate;
        return { Records: data.map((_, i) => ({ SequenceNumber: `${i}`, ShardId: 's' })) };
      },
    } as unknown as KinesisClient;
    const { server, port } = await startServer(
      tmp.dir,
      { export: { retry: { initialDelayMs: 20, maxDelayMs: 50 } } },
      { kinesis },
    );
    const c = createStreamManagerClient({ port, env: {} });
    await c.createMessageStream({ name: 's', strategyOnFull: 0 });
    for (const m of ['m0', 'm1', 'm2']) await c.appendMessage('s', Buffer.from(m));
    await c.updateMessageStream({
      name: 's',
      strategyOnFull: 0,
      exportDefinition: { kinesis: [{ identifier: 'k', kinesisStreamName: 'x' }] },
    });
    await waitFor('the retry call', () => (calls.length >= 2 ? true : undefined));
    const during = (await c.describeMessageStream('s')).exportStatuses[0]!;
    expect(during.lastExportedSequenceNumber).toBe(0n);
    expect(during.errorMessage).toMatch(/ProvisionedThroughputExceededException/);
    release();
    await waitFor('export complete', async () =>
      (await c.describeMessageStream('s')).exportStatuses[0]!.lastExportedSequenceNumber === 2n ? true : undefined,
    );
    expect(calls[0]).toEqual(['m0', 'm1', 'm2']);
    expect(calls[1]).toEqual(['m1']);
    expect(calls.flat().filter((m) => m === 'm2')).toHaveLength(1);
    c.close();
    await server.stop();
  });
});
