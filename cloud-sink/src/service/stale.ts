import { isPcfError, PcfError } from '@pcf-edge/core';
import { computePeriod, Dec, type PeriodCalculation } from '@pcf-edge/pcf-engine';
import { contentHash } from '../audit/hash';
import type { CloudSinkRepository, StoredResult } from '../store/repository';
import type { AuditBody, AuditBodyV2 } from './audit-body';
import { loadEngineInput, readReference, type LoadedInput } from './engine-input';
import { productResultDoc, type ProductResultDoc } from './result-doc';

/**
 * A stored result whose inputs have changed since (ADR 0232): a rollup it used has a newer revision, or a window of
 * its period arrived or left the current view. Differences are current − recorded.
 */
export interface StaleResult {
  resultId: string;
  product: string;
  periodStart: string;
  periodEnd: string;
  method: string;
  gwpSet: string;
  declaredUnit: string;
  /** `id@recorded→current` of each input revised, and the ids of windows added to the period since. */
  revised: string[];
  added: string[];
  recordedPcf: string;
  currentPcf: string;
  /** kgCO2e per declared unit, current − recorded, full precision. */
  deltaKgPerDeclaredUnit: string;
  /** kWh of the period's output (electricity, gas and overhead), current − recorded. */
  deltaKWh: string;
  /** |current − recorded| ÷ |recorded| of the PCF per declared unit ('1' when recorded is 0 and current is not). */
  relativeChange: string;
  /** SHA-256 of the current (id, revision) list: the view a recomputation is current for. */
  rollupsSha256: string;
  /** What a recomputation needs: the current calculation over the recorded lines and sites. */
  current: { loaded: LoadedInput; calc: PeriodCalculation; doc: ProductResultDoc; body: AuditBody | AuditBodyV2 };
}

/** SHA-256 of an (id, revision) list, in its order. */
export const revisionsHash = (rs: readonly { id: string; revision: number }[]): string =>
  contentHash(rs.map((r) => [r.id, r.revision]));

const totalKWh = (d: ProductResultDoc): Dec =>
  Object.values(d.energyKWh).reduce((s, v) => s.plus(new Dec(v)), new Dec(0));

export function relativeChange(recorded: string, current: string): Dec {
  const a = new Dec(recorded),
    b = new Dec(current);
  if (a.isZero()) return b.isZero() ? new Dec(0) : new Dec(1);
  return b.minus(a).abs().div(a.abs());
}

/**
 * The results that stand (not replaced by a recomputation), of audit schema /2 or /3, whose inputs changed since they
 * were computed — or since a recomputation last kept them current. Each is recomputed (not stored) over its recorded
 * reference version, options, lines and sites, reading the current view. Records of pcf-edge.audit/1 are not checked.
 */
export async function findStaleResults(repo: CloudSinkRepository): Promise<StaleResult[]> {
  const recomputations = await repo.listRecomputations();
  const replaced = new Set(recomputations.filter((r) => r.successorId !== null).map((r) => r.resultId));
  const keptCurrent = new Map<string, string>();
  for (const r of recomputations) if (r.successorId === null) keptCurrent.set(r.resultId, r.rollupsSha256);
  const out: StaleResult[] = [];
  for (const stored of await repo.listResults()) {
    if (stored.kind !== 'product' || replaced.has(stored.id)) continue;
    const rec = await repo.getAuditRecordForResult(stored.id);
    if (!rec) continue;
    const body = JSON.parse(rec.body) as AuditBody | AuditBodyV2;
    if (body.schema !== 'pcf-edge.audit/2' && body.schema !== 'pcf-edge.audit/3') continue;
    let stale: StaleResult | undefined;
    try {
      stale = await checkOne(repo, stored, body, keptCurrent.get(stored.id) ?? revisionsHash(body.inputs.rollups));
    } catch (err) {
      // name the result whose recomputation failed (a missing factor, a store error) and keep the error's code
      throw new PcfError(
        isPcfError(err) ? err.code : 'ERR_AUDIT',
        `checking result ${stored.id} (${body.subject.id}) for staleness failed: ${(err as Error).message}`,
        { resultId: stored.id },
        { cause: err },
      );
    }
    if (stale) out.push(stale);
  }
  return out;
}

async function checkOne(
  repo: CloudSinkRepository,
  stored: StoredResult,
  body: AuditBody | AuditBodyV2,
  currentFor: string,
): Promise<StaleResult | undefined> {
  const reference = await readReference(repo, body.inputs.referenceVersion);
  const loaded = await loadEngineInput(repo, reference, body.options, [body.subject.id], {
    lines: body.inputs.lines,
    sites: body.inputs.sites,
    list: true,
  });
  const now = loaded.rollups!;
  const rollupsSha256 = revisionsHash(now);
  if (rollupsSha256 === currentFor) return undefined;
  const calc = computePeriod(loaded.input);
  const doc = productResultDoc(calc, calc.product(body.subject.id));
  const was = new Map(body.inputs.rollups.map((r) => [r.id, r.revision]));
  const recorded = body.result;
  return {
    resultId: stored.id,
    product: body.subject.id,
    periodStart: stored.periodStart,
    periodEnd: stored.periodEnd,
    method: stored.method,
    gwpSet: stored.gwpSet,
    declaredUnit: recorded.declaredUnit,
    revised: now
      .filter((r) => was.has(r.id) && was.get(r.id) !== r.revision)
      .map((r) => `${r.id}@${was.get(r.id)}→${r.revision}`),
    added: now.filter((r) => !was.has(r.id)).map((r) => r.id),
    recordedPcf: recorded.pcfPerDeclaredUnit,
    currentPcf: doc.pcfPerDeclaredUnit,
    deltaKgPerDeclaredUnit: new Dec(doc.pcfPerDeclaredUnit).minus(recorded.pcfPerDeclaredUnit).toString(),
    deltaKWh: totalKWh(doc).minus(totalKWh(recorded)).toString(),
    relativeChange: relativeChange(recorded.pcfPerDeclaredUnit, doc.pcfPerDeclaredUnit).toString(),
    rollupsSha256,
    current: { loaded, calc, doc, body },
  };
}
