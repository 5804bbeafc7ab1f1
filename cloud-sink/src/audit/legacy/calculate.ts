/**
 * FROZEN — `computePeriod` (row path) of cloud-sink at cc21e43, kept only so that audit records of schema
 * pcf-edge.audit/1 still verify (ADR 0180). Never changed: a change here would make those records unverifiable.
 */
import { Dec, dec, gwp, ZERO, type TraceNode } from '@pcf-edge/pcf-engine';
import { allocateLine, chooseWindowMs, spread, type Buckets, type LineAllocation } from './allocation';
import { FactorBook } from './factors';
import { ordersInPeriod, type OrderSpan } from './orders';
import type { LegacyInput, LineBalance, OrderResult, PeriodParts } from './period';
import { priceBuckets } from './pricing';
import { createProductCalculator, type ProductResult } from './product';
import type { LegacyRollup } from './rollups';

export interface PeriodCalculation extends PeriodParts {
  product(id: string): ProductResult;
}

function dataQuality(
  line: string,
  windows: LegacyRollup[],
  windowMs: number | undefined,
  fromMs: number,
  toMs: number,
): string[] {
  if (windowMs === undefined) return [`${line}: no rollups in the period; its metered energy is taken as 0`];
  const expected = Math.ceil(toMs / windowMs) - Math.floor(fromMs / windowMs);
  let used = 0,
    partial = 0,
    lowest = Infinity,
    estimated = 0;
  for (const r of windows) {
    if (r.windowStartMs < toMs && r.windowStartMs + r.windowMs > fromMs) {
      used++;
      if (r.coverage < 1) {
        partial++;
        if (r.coverage < lowest) lowest = r.coverage;
      }
      if (r.estimated) estimated++;
    }
  }
  const out: string[] = [];
  if (used < expected)
    out.push(`${line}: ${expected - used} of ${expected} windows of ${windowMs / 60_000} min have no rollup`);
  if (partial > 0) out.push(`${line}: ${partial} windows with coverage below 1 (lowest ${lowest})`);
  if (estimated > 0) out.push(`${line}: ${estimated} windows with estimated values`);
  return out;
}

function windowsOf(all: LegacyRollup[], forced: number | undefined) {
  const windowMs = chooseWindowMs(all, forced);
  return { windowMs, windows: all.filter((r) => r.windowMs === windowMs) };
}

const total = (b: Buckets) => [...b.values()].reduce((s, v) => s.plus(v), ZERO);

export function computePeriod(input: LegacyInput): PeriodCalculation {
  const { snapshot, options, arithmetic } = input;
  const fromMs = Date.parse(options.periodStart),
    toMs = Date.parse(options.periodEnd);
  const book = new FactorBook(snapshot, options.gwpSet);
  const spans = ordersInPeriod(snapshot, fromMs, toMs, options.shareKey);
  const overheadSpans =
    options.overheadKey === options.shareKey ? spans : ordersInPeriod(snapshot, fromMs, toMs, options.overheadKey);
  const lineSpreads = new Map<string, Map<string, Buckets> | undefined>(),
    siteSpreads = new Map<string, Map<string, Buckets> | undefined>();
  const allocations = new Map<string, LineAllocation>();
  const balances: LineBalance[] = [];
  for (const [line, all] of input.lineRollups) {
    const region = snapshot.sites.get(snapshot.lines.get(line)!.data.site)!.data.region;
    const { windowMs, windows } = windowsOf(all, options.windowMs);
    const lineSpans = spans.filter((o) => o.line === line);
    const a = allocateLine(line, region, windows, lineSpans, fromMs, toMs, book, arithmetic);
    allocations.set(line, a);
    const idleSpread = spread(
      a.idle,
      overheadSpans.filter((o) => o.line === line),
    );
    lineSpreads.set(line, idleSpread);
    const allocated = [...a.perOrder.values()].reduce((s, b) => s.plus(total(b)), ZERO);
    const oh = idleSpread ? total(a.idle) : ZERO;
    const un = total(a.unallocated).plus(idleSpread ? ZERO : total(a.idle));
    const metered = total(a.metered);
    balances.push({
      line,
      windowMs: windowMs ?? 0,
      metered: metered.toString(),
      allocated: allocated.toString(),
      overhead: oh.toString(),
      unallocated: un.toString(),
      residual: metered.minus(allocated).minus(oh).minus(un).toString(),
      rollups: a.rollups,
      warnings: lineSpans.length > 0 ? dataQuality(line, windows, windowMs, fromMs, toMs) : [],
    });
  }
  for (const [site, all] of input.siteRollups) {
    const region = snapshot.sites.get(site)!.data.region;
    const { windowMs, windows } = windowsOf(all, options.windowMs);
    const a = allocateLine(`site:${site}`, region, windows, [], fromMs, toMs, book, arithmetic);
    const baseSpread = spread(
      a.idle,
      overheadSpans.filter((o) => o.site === site),
    );
    siteSpreads.set(site, baseSpread);
    const metered = total(a.metered);
    balances.push({
      line: `site:${site} baseload`,
      windowMs: windowMs ?? 0,
      metered: metered.toString(),
      allocated: '0',
      overhead: baseSpread ? metered.toString() : '0',
      unallocated: baseSpread ? '0' : metered.toString(),
      residual: '0',
      rollups: a.rollups,
      warnings: [],
    });
  }
  const onLines = new Map<string, { o: OrderSpan; a: LineAllocation }>();
  for (const o of spans) {
    const a = allocations.get(o.line);
    if (a) onLines.set(o.id, { o, a });
  }
  const overheadOf = (o: OrderSpan): Buckets => {
    const t: Buckets = new Map();
    for (const part of [lineSpreads.get(o.line)?.get(o.id), siteSpreads.get(o.site)?.get(o.id)]) {
      for (const [k, v] of part ?? []) t.set(k, (t.get(k) ?? ZERO).plus(v));
    }
    return t;
  };
  const priced = new Map<string, OrderResult>();
  const orders = {
    get(id: string): OrderResult | undefined {
      const hit = priced.get(id);
      if (hit) return hit;
      const on = onLines.get(id);
      if (!on) return undefined;
      const { o, a } = on;
      const direct = directEmissions(input, o);
      const r: OrderResult = {
        id: o.id,
        product: o.product,
        line: o.line,
        site: o.site,
        goodInPeriod: o.goodInPeriod,
        scrapInPeriod: o.scrapInPeriod,
        energy: priceBuckets(a.perOrder.get(o.id)!, snapshot, book),
        overhead: priceBuckets(overheadOf(o), snapshot, book),
        direct: direct.value,
        directTrace: direct.trace,
        estimatedKWh: a.estimatedKWh.get(o.id) ?? ZERO,
      };
      priced.set(id, r);
      return r;
    },
  };
  const parts: PeriodParts = { input, fromMs, toMs, book, orders, spans, balances };
  return { ...parts, product: createProductCalculator(parts) };
}

function directEmissions(input: LegacyInput, o: OrderSpan): { value: Dec; trace: TraceNode[] } {
  let value = ZERO;
  const trace: TraceNode[] = [];
  for (const e of input.snapshot['direct-emissions'].values()) {
    const d = e.data;
    const at = Date.parse(input.options.periodStart);
    if (Date.parse(d.validFrom) > at || (d.validTo != null && Date.parse(d.validTo) <= at)) continue;
    if (!((d.scope === 'product' && d.ref === o.product) || (d.scope === 'line' && d.ref === o.line))) continue;
    const activity =
      d.per === 'declaredUnit' ? o.goodInPeriod.plus(o.scrapInPeriod) : dec(o.endMs - o.startMs).div(3_600_000);
    const v = activity.times(d.amountKg).times(gwp(input.options.gwpSet, d.gas));
    value = value.plus(v);
    trace.push({
      name: `direct ${d.gas} (${d.id})`,
      value: v.toString(),
      unit: 'kgCO2e',
      formula: `${activity} ${d.per === 'declaredUnit' ? 'units' : 'h'} × ${d.amountKg} kg ${d.gas} × GWP ${gwp(input.options.gwpSet, d.gas)}`,
    });
  }
  return { value, trace };
}
