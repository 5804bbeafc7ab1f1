import type { Supersedes } from '../service/audit-body';
import { GENESIS_HASH } from '../store/migrations';
import { linkHash } from '../store/record-chain';
import type { ChainKind, CloudSinkRepository, Recomputation, StoredFootprint } from '../store/repository';

const WHAT: Record<ChainKind, string> = {
  footprints: 'published',
  recomputations: 'recorded',
};

/**
 * Checks the hash chains over footprint versions and recomputations (ADR 0236): each row's hash over its content and
 * the previous row's hash, and each link to the one before. An edited row fails as changed; a deleted, inserted or
 * reordered row breaks the chain where it was. Then what the rows say is held against the audited results: every
 * footprint version names a stored result, every recomputation a stored result, and a successor whose audit record
 * supersedes that result with the same change and threshold.
 */
export async function recordChainProblems(repo: CloudSinkRepository): Promise<string[]> {
  const problems: string[] = [];
  for (const kind of ['footprints', 'recomputations'] as const) {
    let prev = GENESIS_HASH;
    for (const link of await repo.listRecordChain(kind)) {
      if (link.prevHash !== prev)
        problems.push(
          `${kind} chain broken at ${link.label}: a row before it was deleted, inserted or reordered, or its link altered`,
        );
      if (link.hash === null || link.prevHash === null || linkHash(link.content, link.prevHash) !== link.hash)
        problems.push(`${link.label} was changed after it was ${WHAT[kind]} (its hash differs)`);
      prev = link.hash ?? '';
      problems.push(
        ...(kind === 'footprints'
          ? await footprintProblems(repo, link.label, link.content as StoredFootprint)
          : await recomputationProblems(repo, link.label, link.content as Recomputation)),
      );
    }
  }
  return problems;
}

async function footprintProblems(repo: CloudSinkRepository, label: string, f: StoredFootprint): Promise<string[]> {
  const doc = f.doc as { id?: unknown; version?: unknown; status?: unknown };
  const out: string[] = [];
  if (!(await repo.getResult(f.resultId))) out.push(`${label} names result ${f.resultId}, which is not stored`);
  if (doc.id !== f.id || doc.version !== f.version || doc.status !== f.status)
    out.push(`${label}: its document says ${String(doc.id)} version ${String(doc.version)} ${String(doc.status)}`);
  return out;
}

async function recomputationProblems(repo: CloudSinkRepository, label: string, r: Recomputation): Promise<string[]> {
  const out: string[] = [];
  if (!(await repo.getResult(r.resultId))) out.push(`${label} names result ${r.resultId}, which is not stored`);
  if (r.successorId === null) return out;
  const rec = await repo.getAuditRecordForResult(r.successorId);
  if (!rec) return [...out, `${label} names successor ${r.successorId}, which has no audit record`];
  let supersedes: Supersedes | undefined;
  try {
    supersedes = (JSON.parse(rec.body) as { supersedes?: Supersedes }).supersedes;
  } catch {
    supersedes = undefined; // the record's own check reports an unreadable body
  }
  if (
    supersedes?.resultId !== r.resultId ||
    supersedes.relativeChange !== r.relativeChange ||
    supersedes.threshold !== r.threshold
  )
    out.push(
      `${label} differs from what the audit record of its successor ${r.successorId} says it superseded (${supersedes ? `${supersedes.resultId}, change ${supersedes.relativeChange}, threshold ${supersedes.threshold}` : 'nothing'})`,
    );
  return out;
}
