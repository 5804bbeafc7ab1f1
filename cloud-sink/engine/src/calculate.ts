import type { RefEntity } from './reference';
import { allocateLine, spreadLazily, type Buckets, type LazySpread, type LineAllocation } from './allocation';
import { ZERO } from './decimal';
import { FactorBook } from './factors';
import { unitsFor } from './unit-tables';
import { directEmissions, orderActivity } from './direct';
import type { OrderSpan } from './orders';
import { ReferenceIndex } from './reference-index';
import { priceBuckets } from './pricing';
import { siteSupplies } from './supply';
import type { LineBalance, OrderResult, PeriodParts } from './period-parts';
import { createProductCalculator, type ProductResult } from './product';
import type { LineEnergy } from './energy';
import type { EngineInput } from './types';

/** Missing windows, partial coverage and estimates among the windows a line's allocation used. */
function dataQuality(line: string, energy: LineEnergy, fromMs: number, toMs: number): string[] {
  const { windowMs, intervals } = energy;
  if (windowMs === undefined) return [`${line}: no rollups in the period; its metered energy is taken as 0`];
  const expected = Math.ceil(toMs / windowMs) - Math.floor(fromMs / windowMs);
  let used = 0,
    partial = 0,
    lowest = Infinity,
    estimated = 0;
  for (const iv of intervals) {
    used += iv.windows;
    partial += iv.partial;
    if (iv.minCoverage !== null && iv.minCoverage < lowest) lowest = iv.minCoverage;
    if (iv.estimated) estimated += iv.windows;
  }
  const out: string[] = [];
  if (used < expected)
    out.push(`${line}: ${expected - used} of ${expected} windows of ${windowMs / 60_000} min have no rollup`);
  if (partial > 0) out.push(`${line}: ${partial} windows with coverage below 1 (lowest ${lowest})`);
  if (estimated > 0) out.push(`${line}: ${estimated} windows with estimated values`);
  return out;
}

export type { LineBalance, OrderResult } from './period-parts';

export interface PeriodCalculation extends PeriodParts {
  product(id: string): ProductResult;
  /** Reference entities read, by `kind:id` (orders, products, BOMs, factors, mappings, supplier PCFs, lines, sites). */
  usedEntities(): Map<string, RefEntity>;
}

const total = (b: Buckets) => [...b.values()].reduce((s, v) => s.plus(v), ZERO);

/**
 * Computes a period: allocates each given line's energy to its orders, spreads idle energy over the line's orders
 * and site baseload over the site's orders (overhead, by `overheadKey`), checks conservation, and prices energy.
 * Product results (with BOM explosion) are computed on demand and memoized. Pure: reads only `input`.
 */
export function computePeriod(input: EngineInput): PeriodCalculation {
  const { snapshot, options } = input;
  const fromMs = Date.parse(options.periodStart),
    toMs = Date.parse(options.periodEnd);
  const book = new FactorBook(snapshot, options.gwpSet, unitsFor(options));
  const index = input.index ?? new ReferenceIndex(snapshot);
  if (index.snapshot !== snapshot) throw new Error('internal: the reference index is of another snapshot');
  const spans = index.periodOrders(fromMs, toMs, options.shareKey, book.units).spans;
  const overhead = index.periodOrders(fromMs, toMs, options.overheadKey, book.units);
  const used = new Map<string, RefEntity>();
  // overhead is spread lazily: an order's share is computed when the order is priced (see `overheadOf`)
  const lineSpreads = new Map<string, LazySpread>(),
    siteSpreads = new Map<string, LazySpread>();
  const allocations = new Map<string, LineAllocation>();
  const balances: LineBalance[] = [];
  const meteredAll: Buckets[] = [];
  for (const [line, energy] of input.lines) {
    const site = snapshot.lines.get(line)!;
    const region = snapshot.sites.get(site.data.site)!.data.region;
    used.set(`lines:${line}`, site);
    used.set(`sites:${site.data.site}`, snapshot.sites.get(site.data.site)!);
    const lineSpans = spans.filter((o) => o.line === line);
    const a = allocateLine(line, 'line', region, energy, lineSpans, fromMs, toMs, book);
    allocations.set(line, a);
    meteredAll.push(a.metered);
    const idleSpread = spreadLazily(a.idle, overhead.onLine(line), `the idle energy of line ${line}`);
    lineSpreads.set(line, idleSpread);
    const spreadIdle = idleSpread.spreads;
    const allocated = [...a.perOrder.values()].reduce((s, b) => s.plus(total(b)), ZERO);
    const oh = spreadIdle ? total(a.idle) : ZERO;
    const un = total(a.unallocated).plus(spreadIdle ? ZERO : total(a.idle));
    const metered = total(a.metered);
    balances.push({
      line,
      windowMs: energy.windowMs ?? 0,
      metered: metered.toString(),
      allocated: allocated.toString(),
      overhead: oh.toString(),
      unallocated: un.toString(),
      residual: metered.minus(allocated).minus(oh).minus(un).toString(),
      warnings: lineSpans.length > 0 ? dataQuality(line, energy, fromMs, toMs) : [],
    });
  }
  for (const [site, energy] of input.sites) {
    const region = snapshot.sites.get(site)!.data.region;
    const a = allocateLine(`site:${site}`, 'site', region, energy, [], fromMs, toMs, book);
    meteredAll.push(a.metered);
    const baseSpread = spreadLazily(a.idle, overhead.onSite(site), `the baseload of site ${site}`);
    siteSpreads.set(site, baseSpread);
    const spreadBase = baseSpread.spreads;
    const metered = total(a.metered);
    balances.push({
      line: `site:${site} baseload`,
      windowMs: energy.windowMs ?? 0,
      metered: metered.toString(),
      allocated: '0',
      overhead: spreadBase ? metered.toString() : '0',
      unallocated: spreadBase ? '0' : metered.toString(),
      residual: '0',
      warnings: [],
    });
  }
  const lineIds = new Set(input.lines.keys());
  const supply = siteSupplies(snapshot, lineIds, meteredAll, book, fromMs, toMs, options.method);
  const onLines = new Map<string, { o: OrderSpan; a: LineAllocation }>();
  for (const o of spans) {
    const a = allocations.get(o.line);
    if (!a) continue;
    used.set(`orders:${o.id}`, snapshot.orders.get(o.id)!);
    onLines.set(o.id, { o, a });
  }
  /** An order's overhead: its share of its line's idle energy, then of its site's baseload (as spread key by key). */
  const overheadOf = (o: OrderSpan): Buckets => {
    const t: Buckets = new Map();
    for (const part of [lineSpreads.get(o.line)?.shareOf(o.id), siteSpreads.get(o.site)?.shareOf(o.id)]) {
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
      const direct = directEmissions(snapshot, options, orderActivity(o), used);
      const r: OrderResult = {
        id: o.id,
        product: o.product,
        line: o.line,
        site: o.site,
        goodInPeriod: o.goodInPeriod,
        scrapInPeriod: o.scrapInPeriod,
        energy: priceBuckets(a.perOrder.get(o.id)!, snapshot, book, options.method, supply),
        overhead: priceBuckets(overheadOf(o), snapshot, book, options.method, supply),
        direct: direct.value,
        directGhg: direct.ghg,
        directTrace: direct.trace,
        estimatedKWh: a.estimatedKWh.get(o.id) ?? ZERO,
      };
      priced.set(id, r);
      return r;
    },
  };
  const parts: PeriodParts = { input, fromMs, toMs, book, orders, spans, balances };
  const products = createProductCalculator(parts);
  return {
    ...parts,
    product: products.result,
    usedEntities: () => {
      for (const id of onLines.keys()) orders.get(id);
      return new Map([...used, ...book.used, ...products.used()]);
    },
  };
}
