import { computePeriod } from '@pcf-edge/pcf-engine';
import { auditBody, loadEngineInput, readReference, type AuditBody } from '../service/pcf-service';
import { GENESIS_HASH } from '../store/migrations';
import type { CloudSinkRepository } from '../store/repository';
import type { ReferenceKind } from '../reference/types';
import { canonicalJson, chainHash, contentHash } from './hash';
import { recomputeLegacy, type LegacyAuditBody } from './legacy/verify';

export interface RecordVerdict {
  auditId: number;
  resultId: string;
  ok: boolean;
  problems: string[];
}
export interface VerifyReport {
  ok: boolean;
  records: RecordVerdict[];
}

/**
 * Verifies every audit record: the hash chain (each record's hash over its body and the previous hash), the stored
 * result against the audited one, every input entity against the hash recorded for it, the rollups against their
 * recorded hash, and a full recomputation from the recorded inputs (reference version, lines, sites, options).
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
    let body: AuditBody | undefined;
    try {
      body = JSON.parse(rec.body) as AuditBody;
    } catch {
      problems.push('record body is not valid JSON');
    }
    if (body) problems.push(...(await checkBody(repo, rec.resultId, body)));
    out.push({ auditId: rec.id, resultId: rec.resultId, ok: problems.length === 0, problems });
  }
  return { ok: out.every((r) => r.ok), records: out };
}

async function checkBody(repo: CloudSinkRepository, resultId: string, body: AuditBody): Promise<string[]> {
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
  else if (schema === 'pcf-edge.audit/2') problems.push(...(await recompute(repo, resultId, body)));
  else problems.push(`record schema ${JSON.stringify(schema)} is not one this engine verifies`);
  return problems;
}

/**
 * Recomputes a pcf-edge.audit/2 record: reads the energy of the recorded lines and sites again (uncached reference
 * data at the recorded version), checks the rollups against their recorded hash, naming revised ones, and requires
 * the engine to reproduce the recorded result document.
 */
async function recompute(repo: CloudSinkRepository, resultId: string, body: AuditBody): Promise<string[]> {
  const problems: string[] = [];
  try {
    const reference = await readReference(repo, body.inputs.referenceVersion);
    const loaded = await loadEngineInput(repo, reference, body.options, [body.subject.id], {
      lines: body.inputs.lines,
      sites: body.inputs.sites,
      list: true,
    });
    const rollups = loaded.rollups ?? [];
    if (contentHash(rollups) !== body.inputs.rollupsHash) {
      const was = new Map(body.inputs.rollups.map((r) => [r.id, r.revision]));
      const changed = rollups
        .filter((r) => was.get(r.id) !== r.revision)
        .map((r) => `${r.id}@${was.get(r.id) ?? 'new'}→${r.revision}`);
      problems.push(
        `rollups differ from those used (${rollups.length} now, ${was.size} then${changed.length ? `; revised: ${changed.slice(0, 5).join(', ')}` : '; values altered'})`,
      );
    }
    const calc = computePeriod(loaded.input);
    const again = auditBody(resultId, loaded, calc, body.subject.id).result;
    if (canonicalJson(again) !== canonicalJson(body.result)) {
      problems.push(
        `recomputation does not reproduce the result: ${again.pcfPerDeclaredUnit} vs recorded ${body.result.pcfPerDeclaredUnit} kgCO2e/${body.result.declaredUnit}`,
      );
    }
  } catch (err) {
    problems.push(`recomputation failed: ${(err as Error).message}`);
  }
  return problems;
}
