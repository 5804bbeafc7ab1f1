import { PcfError } from '@pcf-edge/core';
import { loadSnapshot } from '../reference/snapshot';
import type { AuditBody } from '../service/pcf-service';
import type { ProductResultDoc } from '../service/result-doc';
import type { CloudSinkRepository } from '../store/repository';
import type { MonthPeriod } from './period';

/** Read models for the dashboard. Values are the stored decimal strings. */
export async function productsView(repo: CloudSinkRepository) {
  const s = await loadSnapshot(repo);
  return { referenceVersion: s.asOfVersion, products: [...s.products.values()].map((p) => p.data) };
}

export async function ordersView(repo: CloudSinkRepository) {
  const s = await loadSnapshot(repo);
  return {
    orders: [...s.orders.values()]
      .map((o) => o.data)
      .sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id)),
  };
}

/**
 * Stored product results, oldest first (of a period overlapping `month` when given), each with the PACT footprint
 * version published from it (`footprint`: id, version, and the id's current status), null when none was.
 */
export async function resultsView(repo: CloudSinkRepository, month?: MonthPeriod) {
  const results = await repo.listResults();
  const versions = await repo.listFootprintVersions();
  const statusNow = new Map<string, { version: number; status: string }>();
  for (const v of versions)
    if ((statusNow.get(v.id)?.version ?? 0) < v.version) statusNow.set(v.id, { version: v.version, status: v.status });
  const footprintOf = (resultId: string) => {
    const f = versions.find((v) => v.resultId === resultId && v.status === 'Active');
    return f ? { id: f.id, version: f.version, statusNow: statusNow.get(f.id)!.status } : null;
  };
  const inMonth = (r: { periodStart: string; periodEnd: string }) =>
    !month || (Date.parse(r.periodStart) < month.endMs && Date.parse(r.periodEnd) > month.startMs);
  return {
    ...(month ? { month: month.month } : {}),
    results: results
      .filter((r) => r.kind === 'product' && inMonth(r))
      .map((r) => {
        const d = r.result as ProductResultDoc;
        return {
          id: r.id,
          product: r.subject,
          periodStart: r.periodStart,
          periodEnd: r.periodEnd,
          method: r.method,
          gwpSet: r.gwpSet,
          createdAt: new Date(r.createdAtMs).toISOString(),
          declaredUnit: d.declaredUnit,
          pcfPerDeclaredUnit: d.pcfPerDeclaredUnit,
          pcfPerDeclaredUnitDisplay: d.pcfPerDeclaredUnitDisplay,
          goodUnits: d.goodUnits,
          breakdownKg: d.breakdownKg,
          energyKWh: d.energyKWh,
          primaryDataShare: d.primaryDataShare,
          orders: d.orders,
          warnings: d.warnings,
          footprint: footprintOf(r.id),
        };
      }),
  };
}

export async function auditView(repo: CloudSinkRepository, resultId: string) {
  const rec = await repo.getAuditRecordForResult(resultId);
  if (!rec) throw new PcfError('ERR_NOT_FOUND', 'no audit record for this result id', {});
  const body = JSON.parse(rec.body) as AuditBody;
  return {
    resultId,
    auditId: rec.id,
    hash: rec.hash,
    prevHash: rec.prevHash,
    derivation: body.derivation,
    inputs: body.inputs,
    result: body.result,
  };
}
