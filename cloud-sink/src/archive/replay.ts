import { createHash } from 'node:crypto';
import { PcfError } from '@pcf-edge/core';
import { canonicalJson } from '../audit/hash';
import { decodeRecord } from '../ingest/decode';
import { createBatchVerifier, type BatchVerifier } from '../ingest/verify';
import { openSecurityStore } from '../store/security-store';
import type { CloudSinkRepository, DeadLetter, DecodedRollup } from '../store/repository';
import type { RawArchive } from './archive';

export interface ReplayReport {
  batches: number;
  rollups: number;
  revisions: number;
  deadLettered: number;
}

/** Records per ingest transaction during a replay. */
const RECORDS_PER_WRITE = 200;

/**
 * Rebuilds the rollup store from the archive alone (ADR 0233): every archived batch, in key order, decoded and
 * ingested exactly as the consumer does (invalid ones dead-lettered again). The order does not matter: the history
 * keeps each (id, revision) once and the current view is the highest revision, whatever the order. The store must
 * hold no rollups (ERR_USAGE otherwise: a replay rebuilds, it does not merge). Signatures are checked as the consumer
 * checks them (default: against the gateway keys registered in `repo`, ADR 0193).
 */
export async function replayArchive(
  repo: CloudSinkRepository,
  archive: RawArchive,
  verify: BatchVerifier = createBatchVerifier(openSecurityStore(repo)),
): Promise<ReplayReport> {
  const present = await repo.countRollups();
  if (present > 0)
    throw new PcfError(
      'ERR_USAGE',
      `replay: the store already holds ${present} rollups; replay into an empty store (a replay rebuilds, it does not merge)`,
    );
  const report: ReplayReport = { batches: 0, rollups: 0, revisions: 0, deadLettered: 0 };
  const keys = await archive.list('batches');
  for (let i = 0; i < keys.length; i += RECORDS_PER_WRITE) {
    const rollups: DecodedRollup[] = [];
    const deadLetters: DeadLetter[] = [];
    for (const sha of keys.slice(i, i + RECORDS_PER_WRITE)) {
      const d = await decodeRecord(await archive.get('batches', sha), `archive:${sha}`, Date.now(), verify);
      if (d.ok) rollups.push(...d.rollups);
      else deadLetters.push(d.deadLetter);
    }
    const out = await repo.ingest({ rollups, deadLetters });
    report.batches += Math.min(RECORDS_PER_WRITE, keys.length - i);
    report.rollups += rollups.length;
    report.revisions += out.revisions;
    report.deadLettered += out.deadLettered;
  }
  return report;
}

/**
 * A digest of the current view: the count of rollups and the SHA-256 over the canonical JSON of each, by id (the
 * stored columns; not the receipt time). Two stores with the same current view have the same digest.
 */
export async function currentViewDigest(repo: CloudSinkRepository): Promise<{ rollups: number; sha256: string }> {
  const hash = createHash('sha256');
  let n = 0;
  for (let after = ''; ;) {
    const page = await repo.pageCurrentRollups(after, 10_000);
    if (page.length === 0) break;
    for (const r of page) hash.update(`${canonicalJson(r)}\n`);
    n += page.length;
    after = page[page.length - 1]!.id;
  }
  return { rollups: n, sha256: hash.digest('hex') };
}
