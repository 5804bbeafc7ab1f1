import type { RollupBatch } from '@pcf-edge/core';
import type { DeadLetter } from '../store/repository';
import type { BatchVerifier } from './verify';

export type Decoded = { ok: true; batch: RollupBatch } | { ok: false; deadLetter: DeadLetter };

const MAX_DEAD_LETTER_PAYLOAD = 256 * 1024;

/**
 * One Kinesis record's data → a `pcf-edge.rollup-batch/1` signed by a gateway allowed to report it (verify.ts), or a
 * dead letter naming why not (not JSON, unsigned, unknown key, forged site, schema errors…). `source` identifies the
 * record (stream/shard/sequence) in the dead-letter table.
 */
export async function decodeRecord(
  data: Uint8Array,
  source: string,
  receivedAtMs: number,
  verify: BatchVerifier,
): Promise<Decoded> {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const checked = await verify(text);
  if (checked.ok) return { ok: true, batch: checked.batch };
  return {
    ok: false,
    deadLetter: { source, reason: checked.reason, payload: text.slice(0, MAX_DEAD_LETTER_PAYLOAD), receivedAtMs },
  };
}
