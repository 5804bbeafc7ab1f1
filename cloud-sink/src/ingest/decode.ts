import { isPcfError, type RollupBatch } from '@pcf-edge/core';
import type { DeadLetter, DecodedRollup } from '../store/repository';
import { decodeRollups } from './quantities';
import type { BatchVerifier } from './verify';

export type Decoded =
  { ok: true; batch: RollupBatch; rollups: DecodedRollup[] } | { ok: false; deadLetter: DeadLetter };

const MAX_DEAD_LETTER_PAYLOAD = 256 * 1024;

/**
 * One Kinesis record's data → a `pcf-edge.rollup-batch/1` signed by a gateway allowed to report it (verify.ts), with
 * its rollups decoded into integer micro-units, or a dead letter naming why not (not JSON, unsigned, unknown key,
 * forged site, schema errors, or the rollup and field whose value does not fit). `source` identifies the record
 * (stream/shard/sequence) in the dead-letter table.
 */
export async function decodeRecord(
  data: Uint8Array,
  source: string,
  receivedAtMs: number,
  verify: BatchVerifier,
): Promise<Decoded> {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const dead = (reason: string): Decoded => ({
    ok: false,
    deadLetter: { source, reason, payload: text.slice(0, MAX_DEAD_LETTER_PAYLOAD), receivedAtMs },
  });
  const checked = await verify(text);
  if (!checked.ok) return dead(checked.reason);
  try {
    return { ok: true, batch: checked.batch, rollups: decodeRollups(checked.batch.rollups) };
  } catch (err) {
    if (isPcfError(err, 'ERR_RECORD_INVALID')) return dead(err.message);
    throw err;
  }
}
