import { makeRollupBatch, validateRollupBatch, type Rollup } from '@pcf-edge/core';
import type { OutboxRow, StoredRollup } from '@pcf-edge/store';

/** Largest message (bytes of JSON): Stream Manager's Kinesis export puts each message as one ≤ 1 MiB record. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface PlannedMessage {
  /** Outbox rows the message settles once acknowledged. */
  seqs: number[];
  data: Buffer;
  rollups: number;
}

/**
 * Turns a group of outbox rows into validated `pcf-edge.rollup-batch/1` messages of at most `maxBytes`, splitting
 * the group in halves when it is too large. Each rollup goes out as currently stored (its newest revision); rows
 * of one rollup id share one copy. Rows whose rollup is not in the store are returned as `missing`.
 */
export function buildMessages(
  rows: OutboxRow[],
  stored: Map<string, StoredRollup>,
  meta: { gatewayId: string; site: string },
  now: Date,
  maxBytes = MAX_MESSAGE_BYTES,
): { messages: PlannedMessage[]; missing: OutboxRow[] } {
  const present = rows.filter((r) => stored.has(r.rollupId));
  const missing = rows.filter((r) => !stored.has(r.rollupId));
  const messages: PlannedMessage[] = [];
  const build = (group: OutboxRow[]): void => {
    if (group.length === 0) return;
    const unique = new Map<string, Rollup>();
    for (const r of group) unique.set(r.rollupId, stored.get(r.rollupId)!.rollup);
    const batch = validateRollupBatch(makeRollupBatch(meta.gatewayId, meta.site, [...unique.values()], now));
    const data = Buffer.from(JSON.stringify(batch));
    if (data.length > maxBytes && group.length > 1) {
      const half = Math.ceil(group.length / 2);
      build(group.slice(0, half));
      build(group.slice(half));
      return;
    }
    if (data.length > maxBytes) throw new Error(`rollup ${group[0]!.rollupId} alone is ${data.length} bytes, above ${maxBytes}`);
    messages.push({ seqs: group.map((r) => r.seq), data, rollups: unique.size });
  };
  build(present);
  return { messages, missing };
}
