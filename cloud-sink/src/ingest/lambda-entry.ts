import { createLogger } from '@pcf-edge/core';
import { ARCHIVE_BUCKET_ENV } from '../archive/open';
import { s3Archive } from '../archive/s3';
import { DATABASE_URL_ENV, openRepository, storeLocation } from '../store/open';
import type { CloudSinkRepository } from '../store/repository';
import { createKinesisHandler, type BatchResponse, type KinesisEvent } from './lambda';

/**
 * Deployable Lambda entry (Kinesis event source with ReportBatchItemFailures). The store: PostgreSQL when
 * PCF_EDGE_DATABASE_URL is set (schema PCF_EDGE_DATABASE_SCHEMA, default public; it must be migrated — the handler
 * never changes a schema), else SQLite at CLOUD_SINK_DB (default /tmp/cloud-sink.sqlite, for local runs only). Records
 * are archived to S3 when PCF_EDGE_ARCHIVE_BUCKET is set (prefix PCF_EDGE_ARCHIVE_PREFIX). Opened on the first event
 * and kept for the life of the execution environment.
 */
let opened: Promise<{ repo: CloudSinkRepository; handle: (event: KinesisEvent) => Promise<BatchResponse> }> | undefined;

export async function handler(event: KinesisEvent): Promise<BatchResponse> {
  opened ??= (async () => {
    const env = process.env;
    const where = env[DATABASE_URL_ENV]
      ? storeLocation({}, env)
      : storeLocation({ db: env.CLOUD_SINK_DB ?? '/tmp/cloud-sink.sqlite' }, {});
    const repo = await openRepository(where, { poolSize: 2 });
    // the stack's archive bucket (ADR 0212); without it (local runs) records are not archived
    const bucket = env[ARCHIVE_BUCKET_ENV];
    const archive = bucket ? s3Archive({ bucket, prefix: env.PCF_EDGE_ARCHIVE_PREFIX ?? '' }) : undefined;
    const log = createLogger({ component: 'cloud-sink-lambda' });
    return { repo, handle: createKinesisHandler({ repo, log, ...(archive ? { archive } : {}) }) };
  })().catch((err: unknown) => {
    opened = undefined; // the next invocation tries again
    throw err;
  });
  return (await opened).handle(event);
}

/** Closes the store the handler opened (tests; the Lambda runtime freezes the environment instead). */
export async function closeHandler(): Promise<void> {
  const o = opened;
  opened = undefined;
  if (o) await (await o).repo.close();
}
