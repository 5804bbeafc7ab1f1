import { createLogger } from '@pcf-edge/core';
import { openSqliteRepository } from '../store/sqlite';
import { createKinesisHandler, type BatchResponse, type KinesisEvent } from './lambda';

/**
 * Deployable Lambda entry (Kinesis event source with ReportBatchItemFailures). The database file comes from
 * CLOUD_SINK_DB (default /tmp/cloud-sink.sqlite); a PostgreSQL repository replaces it behind the same interface.
 */
let handle: ((event: KinesisEvent) => Promise<BatchResponse>) | undefined;

export function handler(event: KinesisEvent): Promise<BatchResponse> {
  handle ??= createKinesisHandler({
    repo: openSqliteRepository({ file: process.env.CLOUD_SINK_DB ?? '/tmp/cloud-sink.sqlite' }),
    log: createLogger({ component: 'cloud-sink-lambda' }),
  });
  return handle(event);
}
