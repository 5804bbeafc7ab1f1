import type { Logger } from '@pcf-edge/core';
import type { CloudSinkRepository, IngestWrite } from '../store/repository';
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
 * Lambda handler for a Kinesis event source with ReportBatchItemFailures. Every record is archived (with `archive`)
 * and decoded in order, then all of them are stored in one transaction (rollups and dead letters together): one
 * commit per batch instead of one per record, the same unit the shard poller writes (ADR 0183). Bad JSON or schema,
 * or a batch no registered gateway key may have sent ⇒ dead-letter row, counted as processed. A record that cannot
 * be archived or verified (archive or key store unreachable) ends the batch there: the records before it are stored,
 * it and every later one are returned in `batchItemFailures`, so Lambda retries from the first failed sequence
 * number. A store failure (database busy, connection lost) returns every record of the batch; upserts are
 * idempotent, so a retry is harmless.
 */
export function createKinesisHandler(deps: KinesisHandlerDeps): (event: KinesisEvent) => Promise<BatchResponse> {
  const now = deps.now ?? Date.now;
  const verify = deps.verify ?? createBatchVerifier(openSecurityStore(deps.repo, now), now);
  return async (event) => {
    const write: IngestWrite = { rollups: [], deadLetters: [] };
    let prepared = 0;
    for (const rec of event.Records) {
      const seq = rec.kinesis.sequenceNumber;
      const source = `${rec.eventSourceARN ?? 'kinesis'}/${seq}`;
      const bytes = Buffer.from(rec.kinesis.data, 'base64');
      try {
        if (deps.archive) await deps.archive.put('batches', bytes);
        const decoded = await decodeRecord(bytes, source, now(), verify);
        if (decoded.ok) for (const r of decoded.rollups) write.rollups.push(r);
        else {
          write.deadLetters.push(decoded.deadLetter);
          deps.log.warn({ source, reason: decoded.deadLetter.reason }, 'record dead-lettered');
        }
        prepared++;
      } catch (err) {
        deps.log.warn(
          { err, sequenceNumber: seq, remaining: event.Records.length - prepared },
          'record not archived or verified; reporting it and every later one for retry',
        );
        break;
      }
    }
    const failed = (from: number) =>
      event.Records.slice(from).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber }));
    if (prepared === 0) return { batchItemFailures: failed(0) };
    try {
      await deps.repo.ingest(write);
    } catch (err) {
      deps.log.warn({ err, records: event.Records.length }, 'batch not stored; reporting every record for retry');
      return { batchItemFailures: failed(0) };
    }
    return { batchItemFailures: failed(prepared) };
  };
}
