import { createHash } from 'node:crypto';
import { ROLLUP_BATCH_SCHEMA_ID, validateRollupBatch } from '@pcf-edge/core';
import type { PendingRow } from './bodies';

/** Largest message (bytes of JSON): Stream Manager's Kinesis export puts each message as one ≤ 1 MiB record. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const COMMA = 0x2c;

export interface PlannedMessage {
  /** Outbox rows the message settles once acknowledged. */
  seqs: number[];
  data: Buffer;
  rollups: number;
}

/**
 * Turns a group of outbox rows into `pcf-edge.rollup-batch/1` messages of at most `maxBytes`, splitting the group
 * in halves when it is too large. Each rollup goes out as currently stored (its newest revision); rows of one
 * rollup id share one copy. Rows whose rollup is not in the store are returned as `missing`.
 *
 * The document is spliced from the stored JSON text (ADR 0130, 0132): exactly the bytes of
 * `JSON.stringify(makeRollupBatch(...))` for the parsed rollups, without parsing and re-serialising them.
 * `validate` also checks each message against the schema (tests; off in production, where the cloud sink
 * validates every batch it ingests).
 */
export function buildMessages(
  rows: PendingRow[],
  meta: { gatewayId: string; site: string },
  now: Date,
  maxBytes = MAX_MESSAGE_BYTES,
  validate = false,
): { messages: PlannedMessage[]; missing: PendingRow[] } {
  const present = rows.filter((r) => r.body !== null);
  const missing = rows.filter((r) => r.body === null);
  const messages: PlannedMessage[] = [];
  const createdAt = now.toISOString();
  const build = (group: PendingRow[]): void => {
    if (group.length === 0) return;
    const unique = new Map<string, { revision: number; body: string }>();
    for (const r of group) unique.set(r.rollupId, { revision: r.revision!, body: r.body! });
    const h = createHash('sha256');
    for (const [id, s] of unique) h.update(`${id}:${s.revision};`);
    const head = JSON.stringify({
      schema: ROLLUP_BATCH_SCHEMA_ID,
      batchId: h.digest('hex').slice(0, 32),
      gatewayId: meta.gatewayId,
      site: meta.site,
      createdAt,
    });
    const open = `${head.slice(0, -1)},"rollups":[`;
    const bodies: { text: string; bytes: number }[] = [];
    let bytes = Buffer.byteLength(open) + ']}'.length + unique.size - 1;
    for (const s of unique.values()) {
      const n = Buffer.byteLength(s.body);
      bodies.push({ text: s.body, bytes: n });
      bytes += n;
    }
    if (bytes > maxBytes && group.length > 1) {
      const half = Math.ceil(group.length / 2);
      build(group.slice(0, half));
      build(group.slice(half));
      return;
    }
    if (bytes > maxBytes)
      throw new Error(`rollup ${group[0]!.rollupId} alone makes a ${bytes}-byte message, above ${maxBytes}`);
    // Each string is UTF-8 encoded straight into the message: no Buffer per rollup, no join (ADR 0132).
    const data = Buffer.allocUnsafe(bytes);
    let at = data.write(open);
    bodies.forEach((b, i) => {
      if (i > 0) data[at++] = COMMA;
      at += data.write(b.text, at, b.bytes);
    });
    data.write(']}', at);
    if (validate) validateRollupBatch(JSON.parse(data.toString()));
    messages.push({ seqs: group.map((r) => r.seq), data, rollups: unique.size });
  };
  build(present);
  return { messages, missing };
}
