import { PcfError } from '@pcf-edge/core';
import { loadSnapshot } from '../reference/snapshot';
import type { AuditBody } from '../service/pcf-service';
import type { ProductResultDoc } from '../service/result-doc';
import type { CloudSinkRepository } from '../store/repository';

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

export async function resultsView(repo: CloudSinkRepository) {
  const results = await repo.listResults();
  return {
    results: results
      .filter((r) => r.kind === 'product')
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
