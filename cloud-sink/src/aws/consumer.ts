import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, type Logger } from '@pcf-edge/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { ARCHIVE_BUCKET_ENV } from '../archive/open';
import { s3Archive } from '../archive/s3';
import { createKinesisHandler } from '../ingest/lambda';
import type { CloudSinkRepository } from '../store/repository';
import { databaseSettingsFromEnv, instanceResource, openDatabase } from './database';
import { CONSUMER_METRICS, emfLine } from './metrics';
import type { SecretsClient } from './secrets';

export interface ConsumerDeps {
  secrets: SecretsClient;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Writes one metrics line (default: stdout, where Lambda's log capture reads EMF). */
  emit?: (line: string) => void;
  now?: () => number;
  /** The S3 client of the archive (tests: one pointed at a local S3-compatible server); default: from the environment. */
  s3?: S3Client;
}

/**
 * The Kinesis consumer Lambda (event source mapping with ReportBatchItemFailures): the ingest handler
 * (`createKinesisHandler`, ADR 0033) on PostgreSQL, whose credentials come from Secrets Manager. A database that
 * cannot be opened reports every record for retry. Every record is archived verbatim before it is stored, in the bucket
 * PCF_EDGE_ARCHIVE_BUCKET (the stack's, ADR 0212/0233; key prefix PCF_EDGE_ARCHIVE_PREFIX) when it is set; a failed
 * archive write fails the record, which Kinesis then delivers again. Each invocation emits Records, FailedRecords and
 * DeadLetteredRecords as EMF metrics (namespace from PCF_EDGE_METRICS_NAMESPACE).
 */
/** The handler; `close` ends the database pool (tests; Lambda just freezes the instance). */
export type ConsumerHandler = ((event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>) & {
  close(): Promise<void>;
};

export function createConsumerHandler(deps: ConsumerDeps): ConsumerHandler {
  const settings = databaseSettingsFromEnv(deps.env);
  const namespace = deps.env.PCF_EDGE_METRICS_NAMESPACE ?? 'PcfEdge';
  const functionName = deps.env.AWS_LAMBDA_FUNCTION_NAME ?? 'cloud-sink-consumer';
  const now = deps.now ?? Date.now;
  const emit = deps.emit ?? ((line: string) => process.stdout.write(`${line}\n`));
  const bucket = deps.env[ARCHIVE_BUCKET_ENV];
  const archive = bucket
    ? s3Archive({ bucket, prefix: deps.env.PCF_EDGE_ARCHIVE_PREFIX ?? '', ...(deps.s3 ? { client: deps.s3 } : {}) })
    : undefined;
  const db = instanceResource(
    () => openDatabase({ secrets: deps.secrets, settings, log: deps.log, poolSize: 2 }),
    (d) => d.stale(),
    (d) => d.close(),
  );

  const handle = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    let deadLettered = 0;
    let response: KinesisStreamBatchResponse;
    try {
      const { repo } = await db.get();
      const counting: CloudSinkRepository = {
        ...repo,
        ingest: async (write) => {
          const out = await repo.ingest(write);
          deadLettered += out.deadLettered;
          return out;
        },
      };
      response = await createKinesisHandler({ repo: counting, log: deps.log, now, ...(archive ? { archive } : {}) })(
        event,
      );
    } catch (err) {
      deps.log.error({ err, records: event.Records.length }, 'database not available; reporting the batch for retry');
      response = { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) };
    }
    emit(
      emfLine(
        namespace,
        functionName,
        {
          [CONSUMER_METRICS.records]: event.Records.length,
          [CONSUMER_METRICS.failed]: response.batchItemFailures.length,
          [CONSUMER_METRICS.deadLettered]: deadLettered,
        },
        now(),
      ),
    );
    return response;
  };
  return Object.assign(handle, { close: db.close });
}

let deployed: ConsumerHandler | undefined;

/** Lambda entry point (`index.handler` in the bundle). */
export function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  deployed ??= createConsumerHandler({
    secrets: new SecretsManagerClient({}),
    env: process.env,
    log: createLogger({ component: 'cloud-sink-consumer' }),
  });
  return deployed(event);
}
