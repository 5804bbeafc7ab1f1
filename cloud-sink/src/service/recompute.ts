import { randomUUID } from 'node:crypto';
import { PcfError } from '@pcf-edge/core';
import { Dec } from '@pcf-edge/pcf-engine';
import { canonicalJson, chainHash } from '../audit/hash';
import type { CloudSinkRepository } from '../store/repository';
import { auditBody, documentHashes } from './audit-body';
import { findStaleResults, type StaleResult } from './stale';

/** Default republish threshold: a relative change of the PCF per declared unit of at least 0.1 %. */
export const DEFAULT_THRESHOLD_PERCENT = '0.1';

export interface RecomputeOutcome {
  resultId: string;
  product: string;
  /** The result stored in its place when the change reached the threshold. */
  successorId: string | null;
  recordedPcf: string;
  currentPcf: string;
  /** Relative change in percent, full precision. */
  changePercent: string;
  note: string;
}

/** The threshold in percent as a decimal ≥ 0; ERR_USAGE naming the value otherwise. */
export function thresholdPercent(text: string): Dec {
  let d: Dec;
  try {
    d = new Dec(text);
  } catch {
    throw new PcfError('ERR_USAGE', `recompute: --threshold-percent '${text}' is not a number`);
  }
  if (!d.isFinite() || d.isNegative())
    throw new PcfError('ERR_USAGE', `recompute: --threshold-percent '${text}' must be a number ≥ 0`);
  return d;
}

/**
 * Recomputes every stale result (ADR 0232) over its recorded reference version, options, lines and sites, reading the
 * current view. A relative change of the PCF per declared unit ≥ `threshold` % stores a successor result, whose
 * audit record names the one it supersedes, with the recomputation, in one transaction (the publisher then republishes
 * it, `createFootprintPublisher`); below it, the result is recorded as current for the view it was checked against,
 * with a note, and nothing is published.
 */
export async function recomputeStale(
  repo: CloudSinkRepository,
  threshold: Dec,
  now: () => number = Date.now,
): Promise<RecomputeOutcome[]> {
  const out: RecomputeOutcome[] = [];
  for (const s of await findStaleResults(repo)) out.push(await recomputeOne(repo, s, threshold, now()));
  return out;
}

async function recomputeOne(
  repo: CloudSinkRepository,
  s: StaleResult,
  threshold: Dec,
  at: number,
): Promise<RecomputeOutcome> {
  const change = new Dec(s.relativeChange).times(100);
  const base = {
    resultId: s.resultId,
    product: s.product,
    recordedPcf: s.recordedPcf,
    currentPcf: s.currentPcf,
    changePercent: change.toString(),
  };
  const why = `${s.revised.length} revised and ${s.added.length} new windows; PCF ${s.recordedPcf} → ${s.currentPcf} kgCO2e/${s.declaredUnit} (${change.toSignificantDigits(6).toString()} %)`;
  const recomputation = {
    resultId: s.resultId,
    rollupsSha256: s.rollupsSha256,
    relativeChange: s.relativeChange,
    threshold: threshold.div(100).toString(),
    createdAtMs: at,
  };
  if (change.lessThan(threshold)) {
    const note = `current again: ${why}, below the republish threshold of ${threshold.toString()} %`;
    await repo.appendRecomputation({ ...recomputation, successorId: null, note });
    return { ...base, successorId: null, note };
  }
  const successorId = randomUUID();
  const { loaded, calc, body: old } = s.current;
  const body = auditBody(successorId, loaded, calc, s.product, await documentHashes(repo, loaded), {
    resultId: s.resultId,
    relativeChange: s.relativeChange,
    threshold: recomputation.threshold,
  });
  const note = `republished as ${successorId}: ${why}`;
  await repo.appendResult(
    {
      id: successorId,
      kind: 'product',
      subject: s.product,
      periodStart: old.options.periodStart,
      periodEnd: old.options.periodEnd,
      method: old.options.method,
      gwpSet: old.options.gwpSet,
      result: body.result,
      createdAtMs: at,
    },
    canonicalJson(body),
    chainHash,
    { ...recomputation, successorId, note },
  );
  return { ...base, successorId, note };
}
