import type { AuditBody } from '../service/pcf-service';
import type { ProductResultDoc } from '../service/result-doc';
import type { EmissionFactor, Product, Site } from '../reference/types';
import type { CloudSinkRepository, StoredResult } from '../store/repository';
import type { TelemetrySummary } from './footprint';

/** Everything a footprint needs beyond the result document, read at the versions its audit record names. */
export interface ResultContext {
  result: ProductResultDoc;
  auditHash: string;
  product: Product;
  factors: EmissionFactor[];
  countries: string[];
  telemetry?: TelemetrySummary;
}

/** Loads a stored product result's context from its audit record; undefined when the record or product is missing. */
export async function loadResultContext(
  repo: CloudSinkRepository,
  stored: StoredResult,
): Promise<ResultContext | undefined> {
  const audit = await repo.getAuditRecordForResult(stored.id);
  if (!audit) return undefined;
  const body = JSON.parse(audit.body) as AuditBody;
  const entity = async <T>(kind: 'products' | 'factors' | 'sites', id: string, version: number) =>
    (await repo.getReferenceEntity(kind, id, version))?.data as T | undefined;
  const refs = body.inputs.entities;
  const productRef = refs.find((e) => e.kind === 'products' && e.id === stored.subject);
  const product = productRef ? await entity<Product>('products', productRef.id, productRef.version) : undefined;
  if (!product) return undefined;
  const factors: EmissionFactor[] = [];
  const countries = new Set<string>();
  for (const e of refs) {
    if (e.kind === 'factors') {
      const f = await entity<EmissionFactor>('factors', e.id, e.version);
      if (f) factors.push(f);
    } else if (e.kind === 'sites') {
      const s = await entity<Site>('sites', e.id, e.version);
      const country = s?.country ?? s?.region;
      if (country && /^[A-Z]{2}$/.test(country)) countries.add(country);
    }
  }
  return {
    result: stored.result as ProductResultDoc,
    auditHash: audit.hash,
    product,
    factors,
    countries: [...countries].sort(),
    telemetry: await telemetrySummary(
      repo,
      body.inputs.rollups.map((r) => ({ id: r.id, revision: r.revision })),
      Date.parse(stored.periodStart),
      Date.parse(stored.periodEnd),
    ),
  };
}

async function telemetrySummary(
  repo: CloudSinkRepository,
  used: { id: string; revision: number }[],
  fromMs: number,
  toMs: number,
): Promise<TelemetrySummary | undefined> {
  // the revisions the result used, whatever arrived later (ADR 0230)
  const rollups = (await repo.getRollupRevisions(used)).map((k) => k.rollup);
  if (rollups.length === 0) return undefined;
  let weight = 0,
    covered = 0;
  for (const r of rollups) {
    weight += r.windowMs;
    covered += r.coverage * r.windowMs;
  }
  return {
    startMs: Math.max(fromMs, Math.min(...rollups.map((r) => r.windowStartMs))),
    endMs: Math.min(toMs, Math.max(...rollups.map((r) => r.windowStartMs + r.windowMs))),
    coverage: weight > 0 ? covered / weight : 0,
    estimated: rollups.some((r) => r.estimated),
  };
}
