import { validateRollupBatch, type RollupBatch } from '@pcf-edge/core';
import type { DeadLetter } from '../store/repository';

export type Decoded = { ok: true; batch: RollupBatch } | { ok: false; deadLetter: DeadLetter };

const MAX_DEAD_LETTER_PAYLOAD = 256 * 1024;

/**
 * One Kinesis record's data → a validated `pcf-edge.rollup-batch/1`, or a dead letter naming why not (not JSON,
 * or the schema errors). `source` identifies the record (stream/shard/sequence) in the dead-letter table.
 */
export function decodeRecord(data: Uint8Array, source: string, receivedAtMs: number): Decoded {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const dead = (reason: string): Decoded => ({
    ok: false,
    deadLetter: { source, reason, payload: text.slice(0, MAX_DEAD_LETTER_PAYLOAD), receivedAtMs },
  });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return dead(`invalid JSON: ${(err as Error).message}`);
  }
  try {
    return { ok: true, batch: validateRollupBatch(doc) };
  } catch (err) {
    return dead((err as Error).message);
  }
}
