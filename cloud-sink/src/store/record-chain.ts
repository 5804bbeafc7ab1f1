import { canonicalJson, chainHash } from '../audit/hash';
import { rowToFootprint } from './footprint-rows';
import { GENESIS_HASH } from './migrations';
import { rowToRecomputation } from './recompute-rows';
import type { ChainLink } from './repository';

/**
 * Hash chains over what was published and recomputed (ADR 0236): every footprint version and every recomputation row
 * carries `prev_hash` and `hash` = SHA-256 chain hash (`chainHash`) of its canonical JSON (as the repository returns
 * it) and the previous row's hash, one chain per table, starting from 64 zeros. Footprint versions are chained in
 * `chain_seq` order, recomputations in `id` order, each appended under the table's write lock.
 */
export const linkHash = (content: unknown, prevHash: string): string => chainHash(canonicalJson(content), prevHash);

/** The chain columns of `contents` appended, in order, after the row `last` (none: the chain starts). */
export function chainLinks(
  last: { seq: number; hash: string } | undefined,
  contents: readonly unknown[],
): { seq: number; prevHash: string; hash: string }[] {
  let seq = last?.seq ?? 0;
  let prev = last?.hash ?? GENESIS_HASH;
  return contents.map((content) => {
    const hash = linkHash(content, prev);
    const link = { seq: ++seq, prevHash: prev, hash };
    prev = hash;
    return link;
  });
}

/** Order in which migration 236 chains the footprint versions published before it: the order they were written. */
export const FOOTPRINT_PUBLISHING_ORDER = 'updated_at_ms, id, version';

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

export const footprintLink = (row: Record<string, unknown>): ChainLink => ({
  label: `footprint ${String(row.id)} version ${String(row.version)}`,
  content: rowToFootprint(row),
  prevHash: text(row.prev_hash),
  hash: text(row.hash),
});
export const recomputationLink = (row: Record<string, unknown>): ChainLink => ({
  label: `recomputation #${String(row.id)} of result ${String(row.result_id)}`,
  content: rowToRecomputation(row),
  prevHash: text(row.prev_hash),
  hash: text(row.hash),
});
