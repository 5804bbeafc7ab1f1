import type { Logger } from '@pcf-edge/core';
import type { CloudSinkRepository } from '../store/repository';
import { openSecurityStore } from '../store/security-store';
import type { RawArchive } from '../archive/archive';
import { decodeRecord } from './decode';
import { createBatchVerifier, type BatchVerifier } from './verify';

/** The parts of an AWS Lambda Kinesis event the handler reads. */
export interface KinesisEventRecord {
  eventSourceARN?: string;
  kinesis: { data: string; sequenceNumber: string; partitionKey?: string };
}
export interface KinesisEvent {
  Records: KinesisEventRecord[];
}
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface KinesisHandlerDeps {
  repo: CloudSinkRepository;
  log: Logger;
  now?: () => number;
  /** Gateway signature check (default: the keys registered in the repository's database). */
  verify?: BatchVerifier;
  /** Where every record's bytes are archived before it is stored (ADR 0212, 0233); none: not archived. */
  archive?: RawArchive;
}

/**
 * Lambda handler for a Kinesis event source with ReportBatchItemFailures. Records are applied in order, each in
 * its own transaction. Bad JSON or schema, or a batch no registered gateway key may have sent ⇒ dead-letter row,
 * counted as processed. A store failure (database busy,
 * connection lost) ⇒ that record and every later one are returned in `batchItemFailures`, so Lambda retries from
 * the first failed sequence number; upserts are idempotent, so a retry is harmless. With `archive`, a record's bytes
 * are archived before it is stored; a failed archive write is a failure like a store failure.
 */
export function createKinesisHandler(deps: KinesisHandlerDeps): (event: KinesisEvent) => Promise<BatchResponse> {
  const now = deps.now ?? Date.now;
  const verify = deps.verify ?? createBatchVerifier(openSecurityStore(deps.repo, now), now);
  return async (event) => {
    const failures: { itemIdentifier: string }[] = [];
    for (const [i, rec] of event.Records.entries()) {
      const seq = rec.kinesis.sequenceNumber;
      const source = `${rec.eventSourceARN ?? 'kinesis'}/${seq}`;
      const bytes = Buffer.from(rec.kinesis.data, 'base64');
      try {
        if (deps.archive) await deps.archive.put('batches', bytes);
        const decoded = await decodeRecord(bytes, source, now(), verify);
        if (decoded.ok) await deps.repo.ingest({ rollups: decoded.rollups, deadLetters: [] });
        else {
          await deps.repo.ingest({ rollups: [], deadLetters: [decoded.deadLetter] });
          deps.log.warn({ source, reason: decoded.deadLetter.reason }, 'record dead-lettered');
        }
      } catch (err) {
        deps.log.warn(
          { err, sequenceNumber: seq, remaining: event.Records.length - i },
          'record not stored; reporting for retry',
        );
        for (const r of event.Records.slice(i)) failures.push({ itemIdentifier: r.kinesis.sequenceNumber });
        break;
      }
    }
    return { batchItemFailures: failures };
  };
}
