import { randomUUID } from 'node:crypto';
import { DescribeStreamSummaryCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { PcfError } from '@pcf-edge/core';
import {
  isStreamManagerStatus,
  Persistence,
  StrategyOnFull,
  type MessageStreamDefinition,
  type StreamManagerClient,
} from '@pcf-edge/stream-manager-client';
import type { StreamExporterConfig } from './config';

/** Where messages go. `append` resolves only once the destination acknowledged the message. */
export interface RecordSink {
  /** Makes the destination ready (creates or updates the stream); idempotent. */
  ensure(): Promise<void>;
  /** Resolves with the destination's sequence number as a decimal string. */
  append(data: Buffer): Promise<string>;
  close(): void;
}

export function streamDefinition(c: StreamExporterConfig): MessageStreamDefinition {
  return {
    name: c.streamName,
    maxSize: BigInt(c.maxSizeBytes),
    strategyOnFull: StrategyOnFull[c.strategyOnFull],
    persistence: Persistence[c.persistence],
    exportDefinition:
      c.kinesisStreamName === undefined
        ? { kinesis: [] }
        : {
            kinesis: [
              {
                identifier: `${c.streamName}-kinesis`.slice(0, 255),
                kinesisStreamName: c.kinesisStreamName,
                batchSize: c.batchSize,
                priority: c.priority,
              },
            ],
          },
  };
}

export function createStreamManagerSink(c: StreamExporterConfig, client: StreamManagerClient): RecordSink {
  const definition = streamDefinition(c);
  return {
    async ensure() {
      try {
        await client.describeMessageStream(c.streamName);
      } catch (err) {
        if (!isStreamManagerStatus(err, 'ResourceNotFound')) throw err;
        try {
          await client.createMessageStream(definition);
          return;
        } catch (createErr) {
          // Another writer may have created it in between: fall through to update.
          if (!isStreamManagerStatus(createErr, 'InvalidRequest')) throw createErr;
        }
      }
      await client.updateMessageStream(definition);
    },
    async append(data) {
      return (await client.appendMessage(c.streamName, data)).toString();
    },
    close: () => client.close(),
  };
}

export function kinesisClientFor(c: StreamExporterConfig): KinesisClient {
  const local = c.kinesis.endpoint !== undefined;
  return new KinesisClient({
    endpoint: c.kinesis.endpoint,
    region: c.kinesis.region ?? process.env.AWS_REGION ?? 'us-east-1',
    credentials:
      local && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 30_000 }),
    maxAttempts: 1,
  });
}

/** Direct Kinesis: one PutRecord per message, random UUID partition key (as Stream Manager does). */
export function createKinesisSink(c: StreamExporterConfig, kinesis: KinesisClient): RecordSink {
  const stream = c.kinesisStreamName as string;
  return {
    async ensure() {
      try {
        await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      } catch (err) {
        throw new PcfError(
          'ERR_KINESIS',
          `Kinesis stream ${stream} is not available: ${(err as Error).message}`,
          { stream },
          { cause: err },
        );
      }
    },
    async append(data) {
      try {
        const r = await kinesis.send(
          new PutRecordCommand({ StreamName: stream, Data: data, PartitionKey: randomUUID() }),
        );
        if (r.SequenceNumber === undefined) throw new Error('no SequenceNumber in the reply');
        return r.SequenceNumber;
      } catch (err) {
        throw new PcfError(
          'ERR_KINESIS',
          `PutRecord to ${stream} failed: ${(err as Error).message}`,
          { stream },
          { cause: err },
        );
      }
    },
    close: () => kinesis.destroy(),
  };
}
