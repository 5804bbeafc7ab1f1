import type { Rollup } from '@pcf-edge/core';
import { computePeriod } from '@pcf-edge/pcf-engine';
import { decodeRollup } from '../ingest/quantities';
import { readReference, type AuditBody } from '../service/pcf-service';
import type { AuditBodyV2 } from '../service/audit-body';
import { replayInput } from '../service/replay-input';
import { productResultDoc, type ProductResultDoc } from '../service/result-doc';
import { GENESIS_HASH } from '../store/migrations';
import type { CloudSinkRepository, StoredRollup } from '../store/repository';
import { storedFromDecoded } from '../store/rollup-rows';
import type { ReferenceKind } from '../reference/types';
import { canonicalJson, chainHash, contentHash, sha256 } from './hash';
import { recomputeLegacy, type LegacyAuditBody } from './legacy/verify';
import { recordChainProblems } from './record-chains';

export interface RecordVerdict {
  auditId: number;
  resultId: string;
  ok: boolean;
  problems: string[];
}
export interface VerifyReport {
  ok: boolean;
  records: RecordVerdict[];
  /**
   * Problems of the store as a whole: current-view rows that are not the highest kept revision; footprint versions
   * and recomputations changed, deleted or inconsistent with the audited results (ADR 0236).
   */
  store: string[];
}

/**
 * Verifies every audit record: the hash chain (each record's hash over its body and the previous hash), the stored
 * result against the audited one, every input entity against the hash recorded for it, every input rollup revision
 * against its recorded hash and its document as received, and a replay of the calculation from exactly those inputs
 * (ADR 0231). Later revisions do not fail a record (they make its result stale: `findStaleResults`); only a change
 * to something recorded does. Also checks that the current view is the highest kept revision of every rollup, and the
 * hash chains over what was published (footprint versions) and recomputed (`recordChainProblems`).
 */
export async function verifyAudit(repo: CloudSinkRepository): Promise<VerifyReport> {
  const records = await repo.listAuditRecords();
  const out: RecordVerdict[] = [];
  let prev = GENESIS_HASH;
  for (const rec of records) {
    const problems: string[] = [];
    if (rec.prevHash !== prev)
      problems.push(
        `chain broken: prevHash ${rec.prevHash.slice(0, 12)}… does not match the previous record's hash ${prev.slice(0, 12)}…`,
      );
    if (chainHash(rec.body, rec.prevHash) !== rec.hash)
      problems.push('record hash does not match its body (the audit record was altered)');
    prev = rec.hash;
    let body: AuditBody | AuditBodyV2 | undefined;
    try {
      body = JSON.parse(rec.body) as AuditBody | AuditBodyV2;
    } catch {
      problems.push('record body is not valid JSON');
    }
    if (body) problems.push(...(await checkBody(repo, rec.resultId, body)));
    out.push({ auditId: rec.id, resultId: rec.resultId, ok: problems.length === 0, problems });
  }
  const store = (await repo.currentViewProblems(20)).map(
    (id) =>
      `current view of rollup ${id} disagrees with its kept history (the view was altered or deleted, or a kept revision is above it)`,
  );
  store.push(...(await recordChainProblems(repo)));
  return { ok: out.every((r) => r.ok) && store.length === 0, records: out, store };
}

async function checkBody(
  repo: CloudSinkRepository,
  resultId: string,
  body: AuditBody | AuditBodyV2,
): Promise<string[]> {
  const problems: string[] = [];
  const stored = await repo.getResult(resultId);
  if (!stored) problems.push(`result ${resultId} is missing`);
  else if (canonicalJson(stored.result) !== canonicalJson(body.result)) {
    problems.push(
      `stored result differs from the audited result (stored PCF ${(stored.result as { pcfPerDeclaredUnit?: string }).pcfPerDeclaredUnit}, audited ${body.result.pcfPerDeclaredUnit})`,
    );
  }
  for (const e of body.inputs.entities) {
    const now = await repo.getReferenceEntity(e.kind as ReferenceKind, e.id, e.version);
    if (!now) problems.push(`input ${e.kind} '${e.id}' version ${e.version} no longer exists`);
    else if (contentHash(now.data) !== e.hash)
      problems.push(`input ${e.kind} '${e.id}' version ${e.version} was changed after the fact`);
  }
  const schema = (body as { schema: string }).schema;
  if (schema === 'pcf-edge.audit/1')
    problems.push(...(await recomputeLegacy(repo, body as unknown as LegacyAuditBody)));
  else if (schema === 'pcf-edge.audit/2' || schema === 'pcf-edge.audit/3') problems.push(...(await replay(repo, body)));
  else problems.push(`record schema ${JSON.stringify(schema)} is not one this engine verifies`);
  return problems;
}

/**
 * The kept revisions a record names, each checked: kept at all, its document as received hashing to the recorded hash
 * (audit/3; audit/2: the columns of all of them to the one recorded hash), and its columns equal to what that
 * document decodes to. Returns the rollups (as recorded, in order) and problems.
 */
export async function keptInputs(
  repo: CloudSinkRepository,
  body: AuditBody | AuditBodyV2,
): Promise<{ rollups: StoredRollup[]; problems: string[] }> {
  const problems: string[] = [];
  const named = body.inputs.rollups;
  const kept = await repo.getRollupRevisions(named.map((r) => ({ id: r.id, revision: r.revision })));
  const byKey = new Map(kept.map((k) => [`${k.rollup.id}@${k.rollup.revision}`, k]));
  const rollups: StoredRollup[] = [];
  for (const n of named) {
    const k = byKey.get(`${n.id}@${n.revision}`);
    if (!k) {
      problems.push(`input rollup ${n.id} revision ${n.revision} is not kept (deleted from the history)`);
      continue;
    }
    rollups.push(k.rollup);
    if (body.schema === 'pcf-edge.audit/3') {
      const hash = (n as { hash?: string }).hash;
      if (hash === undefined) problems.push(`record names rollup ${n.id} revision ${n.revision} without its hash`);
      else if (sha256(k.doc) !== hash)
        problems.push(`input rollup ${n.id} revision ${n.revision} was changed after the fact (its document)`);
    }
    let fromDoc: string;
    try {
      fromDoc = canonicalJson(storedFromDecoded(decodeRollup(JSON.parse(k.doc) as Rollup)));
    } catch (err) {
      fromDoc = `unreadable: ${(err as Error).message}`;
    }
    if (fromDoc !== canonicalJson(k.rollup))
      problems.push(`input rollup ${n.id} revision ${n.revision}: its values differ from its document as received`);
  }
  if (body.schema === 'pcf-edge.audit/2' && problems.length === 0 && contentHash(rollups) !== body.inputs.rollupsHash)
    problems.push('the rollups used were changed after the fact (their hash differs from the recorded one)');
  return { rollups, problems };
}

/** Replays a pcf-edge.audit/2 or /3 record from its kept inputs and requires the recorded result document. */
async function replay(repo: CloudSinkRepository, body: AuditBody | AuditBodyV2): Promise<string[]> {
  const { rollups, problems } = await keptInputs(repo, body);
  try {
    const reference = await readReference(repo, body.inputs.referenceVersion);
    const series = body.schema === 'pcf-edge.audit/3' ? body.inputs.series : undefined;
    // records made before the exact unit catalogue (ADR 0240) name no unit table: they converted with 2026-11's
    const options = { ...body.options, units: body.options.units ?? ('2026-11' as const) };
    const input = replayInput(reference, options, body.inputs.lines, body.inputs.sites, rollups, series);
    const calc = computePeriod(input);
    const again: Partial<ProductResultDoc> = productResultDoc(calc, calc.product(body.subject.id));
    // a field added to the result document later is not part of what an older record asserts
    if (!('breakdownKgPerDeclaredUnit' in body.result)) delete again.breakdownKgPerDeclaredUnit;
    if (!('biogenic' in body.result)) {
      // before ADR 0247 no warning spoke of biogenic carbon
      const added = new Set(again.biogenic?.warnings ?? []);
      again.warnings = again.warnings?.filter((w) => !added.has(w));
      delete again.biogenic;
    }
    if (canonicalJson(again) !== canonicalJson(body.result)) {
      problems.push(
        `replay does not reproduce the result: ${again.pcfPerDeclaredUnit} vs recorded ${body.result.pcfPerDeclaredUnit} kgCO2e/${body.result.declaredUnit}`,
      );
    }
  } catch (err) {
    problems.push(`replay failed: ${(err as Error).message}`);
  }
  return problems;
}
