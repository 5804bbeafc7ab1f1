import { isPcfError, PcfError, type Logger } from '@pcf-edge/core';
import { Dec, type CalcOptions } from '@pcf-edge/pcf-engine';
import { canonicalJson } from '../audit/hash';
import { loadSnapshot } from '../reference/snapshot';
import type { CloudSinkRepository, StoredResult } from '../store/repository';
import type { PcfService } from './pcf-service';
import type { ProductResultDoc } from './result-doc';

/** A calendar month (UTC) as a period: `label` YYYY-MM, [periodStart, periodEnd) as ISO-8601. */
export interface MonthPeriod {
  label: string;
  periodStart: string;
  periodEnd: string;
}

/** `2026-11` → November 2026 (UTC); ERR_USAGE naming the text and what is wrong otherwise. */
export function monthPeriod(text: string, what = 'recompute: --period'): MonthPeriod {
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (!m) throw new PcfError('ERR_USAGE', `${what} '${text}' is not a month written YYYY-MM (e.g. 2026-11)`);
  const month = Number(m[2]);
  if (month < 1 || month > 12)
    throw new PcfError('ERR_USAGE', `${what} '${text}': month ${m[2]} is not between 01 and 12`);
  return monthOf(Number(m[1]), month - 1);
}

/** The calendar month (UTC) before `nowMs`. */
export function previousMonth(nowMs: number): MonthPeriod {
  const d = new Date(nowMs);
  return monthOf(d.getUTCFullYear(), d.getUTCMonth() - 1);
}

/** Month `month0` (0-based; −1 is December of the year before) of `year`. */
function monthOf(year: number, month0: number): MonthPeriod {
  const start = new Date(Date.UTC(year, month0, 1));
  const end = new Date(Date.UTC(year, month0 + 1, 1));
  const label = `${start.getUTCFullYear()}-${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
  return { label, periodStart: start.toISOString(), periodEnd: end.toISOString() };
}

/** Products with a production order on any line overlapping [from, to), sorted: the products made in the period. */
export async function productsMadeIn(repo: CloudSinkRepository, periodStart: string, periodEnd: string) {
  const [fromMs, toMs] = [Date.parse(periodStart), Date.parse(periodEnd)];
  const made = new Set<string>();
  for (const o of (await loadSnapshot(repo)).orders.values())
    if (Date.parse(o.data.start) < toMs && Date.parse(o.data.end) > fromMs) made.add(o.data.product);
  return [...made].sort();
}

/**
 * One product of a period run. `new`: no earlier result of the product for this period and options, one stored now;
 * `unchanged`: the result document equals the last stored one, nothing stored (`resultId` is that one); `changed`:
 * a new result stored, with the difference to the last one; `failed`: nothing stored (`code`, `message`).
 */
export interface PeriodProductOutcome {
  product: string;
  status: 'new' | 'unchanged' | 'changed' | 'failed';
  resultId?: string;
  previousResultId?: string;
  declaredUnit?: string;
  /** kgCO2e per declared unit, full precision: now, before, and now − before. */
  pcf?: string;
  previousPcf?: string;
  deltaKgPerDeclaredUnit?: string;
  /** (now − before) ÷ |before| × 100, full precision; null when before was 0. */
  changePercent?: string | null;
  code?: string;
  message?: string;
}

export interface PeriodRunReport {
  periodStart: string;
  periodEnd: string;
  options: CalcOptions;
  products: PeriodProductOutcome[];
  counts: Record<PeriodProductOutcome['status'], number>;
}

export interface PeriodRunDeps {
  log: Logger;
  now?: () => number;
  /** Called after each product (done of total), in order. */
  onProgress?: (done: number, total: number, product: string) => void;
}

/** Same subject, period and options (method, GWP set, both allocation keys). */
function sameRun(r: StoredResult, product: string, o: CalcOptions): boolean {
  const doc = r.result as Partial<ProductResultDoc>;
  return (
    r.kind === 'product' &&
    r.subject === product &&
    Date.parse(r.periodStart) === Date.parse(o.periodStart) &&
    Date.parse(r.periodEnd) === Date.parse(o.periodEnd) &&
    r.method === o.method &&
    r.gwpSet === o.gwpSet &&
    doc.shareKey === o.shareKey &&
    doc.overheadKey === o.overheadKey
  );
}

/**
 * The per-period batch (issue 22; the CLI's `recompute --period` and the scheduled Lambda run it): computes every
 * product made in the period (`productsMadeIn`) afresh and compares each result document with the last stored result
 * of the product for the same period and options. Identical ⇒ `unchanged` and nothing is stored, so a second run
 * over the same data stores nothing and publishes nothing (ADR 0234); otherwise the new result is stored with its
 * audit record (`new` or `changed`), for the footprint publisher. A product that fails (a missing factor, say) is
 * logged and reported; the others go on.
 */
export async function recomputePeriod(
  pcf: PcfService,
  options: CalcOptions,
  deps: PeriodRunDeps,
): Promise<PeriodRunReport> {
  const now = deps.now ?? Date.now;
  const products = await productsMadeIn(pcf.repo, options.periodStart, options.periodEnd);
  const results = await pcf.repo.listResults(); // oldest first: the last match is the last run's
  const report: PeriodRunReport = {
    periodStart: options.periodStart,
    periodEnd: options.periodEnd,
    options,
    products: [],
    counts: { new: 0, unchanged: 0, changed: 0, failed: 0 },
  };
  for (const [i, product] of products.entries()) {
    const previous = results.filter((r) => sameRun(r, product, options)).at(-1);
    let outcome: PeriodProductOutcome;
    try {
      outcome = await runOne(pcf, product, options, previous, now());
    } catch (err) {
      if (!isPcfError(err) && !(err instanceof Error)) throw err;
      const code = isPcfError(err) ? err.code : 'ERR_UNEXPECTED';
      deps.log.error({ err, product, ...options }, 'recompute of a product failed');
      outcome = { product, status: 'failed', code, message: err.message };
    }
    report.products.push(outcome);
    report.counts[outcome.status]++;
    deps.onProgress?.(i + 1, products.length, product);
  }
  return report;
}

async function runOne(
  pcf: PcfService,
  product: string,
  options: CalcOptions,
  previous: StoredResult | undefined,
  at: number,
): Promise<PeriodProductOutcome> {
  const calculated = await pcf.calculateForStore(product, options);
  const doc = calculated.doc;
  const base = { product, declaredUnit: doc.declaredUnit, pcf: doc.pcfPerDeclaredUnit };
  if (previous && canonicalJson(previous.result) === canonicalJson(doc))
    return { ...base, status: 'unchanged', resultId: previous.id, previousResultId: previous.id };
  const { audit } = await pcf.store(product, options, calculated, at);
  if (!previous) return { ...base, status: 'new', resultId: audit.resultId };
  const before = new Dec((previous.result as ProductResultDoc).pcfPerDeclaredUnit);
  const delta = new Dec(doc.pcfPerDeclaredUnit).minus(before);
  return {
    ...base,
    status: 'changed',
    resultId: audit.resultId,
    previousResultId: previous.id,
    previousPcf: before.toString(),
    deltaKgPerDeclaredUnit: delta.toString(),
    changePercent: before.isZero() ? null : delta.div(before.abs()).times(100).toString(),
  };
}
