import { PcfError } from '@pcf-edge/core';
import { Dec, dec, toDec, ZERO } from './decimal';
import {
  addToSum,
  CURRENT_ARITHMETIC,
  ExactSum,
  sumOf,
  sumValues,
  type Arithmetic,
  type BucketSums,
} from './exact-sum';
import type { FactorBook } from './factors';
import type { OrderSpan } from './orders';
import type { Receivers } from './reference-index';
import type { RollupWindow, WindowGroup } from './types';
import { dimensionOf } from './units';

/**
 * Energy quantities keyed by the factor that will price them: `e:<electricity mapping id>` (kWh),
 * `g:<gas factor id>` (kWh for energy factors, m³ for volume factors).
 */
export type Buckets = Map<string, Dec>;

export function addTo(b: Buckets, key: string, v: Dec): void {
  const cur = b.get(key);
  b.set(key, cur === undefined ? v : cur.plus(v));
}

export interface LineAllocation {
  line: string;
  windowMs: number;
  perOrder: Map<string, Buckets>;
  /** Energy in windows (or parts of windows) outside every order: overhead to spread. */
  idle: Buckets;
  /** Order-covered energy that no order could take (all key weights zero). */
  unallocated: Buckets;
  metered: Buckets;
  /** kWh from windows flagged estimated, per order. */
  estimatedKWh: Map<string, Dec>;
  rollups: { id: string; revision: number }[];
}

/** Shortest window length present (finest time resolution), or `forced`. */
export function chooseWindowMs(rollups: RollupWindow[], forced?: number): number | undefined {
  if (forced !== undefined) return forced;
  let best: number | undefined;
  for (const r of rollups) if (best === undefined || r.windowMs < best) best = r.windowMs;
  return best;
}

/** Bucket keys reused while the window start stays inside the mapping's / factor's validity. */
interface KeyCache {
  elec?: { key: string; from: number; to: number };
  gas?: { key: string; from: number; to: number; volume: boolean; basis: 'gross' | 'net' | null; id: string };
}

/**
 * `v` kWh or m³ of a window, pro-rated to the `clippedMs` inside the period. A whole window stays a number (added
 * exactly by `ExactSum`, read as `dec(v)`); a pro-rated part is a Dec.
 */
function clip(v: number, r: RollupWindow, clippedMs: number): number | Dec {
  return clippedMs === r.windowMs ? v : dec(v).times(clippedMs).div(r.windowMs);
}

/** The electricity bucket valid at `at` (window start) for `site`, looked up only when `at` leaves the cached span. */
function elecSpan(cache: KeyCache, book: FactorBook, site: string, at: number): NonNullable<KeyCache['elec']> {
  if (!cache.elec || at < cache.elec.from || at >= cache.elec.to) {
    const span = book.electricityMappingSpan(site, at);
    cache.elec = { key: `e:${span.mapping.id}`, from: span.from, to: span.to };
  }
  return cache.elec;
}

/** The natural-gas factor bucket valid at `at` in `region`, looked up only when `at` leaves the cached span. */
function gasSpan(cache: KeyCache, book: FactorBook, region: string, at: number): NonNullable<KeyCache['gas']> {
  if (!cache.gas || at < cache.gas.from || at >= cache.gas.to) {
    const { factor: f, from, to } = book.factorSpan('natural-gas', region, at);
    cache.gas = {
      key: `g:${f.id}`,
      from,
      to,
      volume: dimensionOf(f.unit) !== 'energy',
      basis: f.energyBasis,
      id: f.id,
    };
  }
  return cache.gas;
}

/**
 * The energy of one window clipped to the period, per bucket key (basis checked against the gas factor), handed to
 * `take` in a fixed order: electricity, then gas. (A plain loop body rather than a returned list: this runs once per
 * window of every line of a calculation.)
 */
function windowEnergy(
  r: RollupWindow,
  region: string,
  book: FactorBook,
  clippedMs: number,
  cache: KeyCache,
  take: (key: string, energy: number | Dec) => void,
): void {
  const at = r.windowStartMs;
  const elec = r.type === 'site' ? (r.baseloadKWh ?? 0) : (r.electricityKWh ?? 0);
  if (elec > 0) take(elecSpan(cache, book, r.site, at).key, clip(elec, r, clippedMs));
  if (r.type === 'line' && ((r.gasKWh ?? 0) > 0 || (r.gasM3 ?? 0) > 0)) {
    const g = gasSpan(cache, book, region, at);
    if (g.volume) take(g.key, clip(r.gasM3 ?? 0, r, clippedMs));
    else {
      if (g.basis !== r.gasCvBasis) {
        throw new PcfError(
          'ERR_BASIS_MISMATCH',
          `gas energy of line ${r.line} is on ${r.gasCvBasis ?? 'no'} CV basis but factor ${g.id} is ${g.basis ?? 'without basis'}`,
          { line: r.line, factor: g.id, rollup: r.id },
        );
      }
      take(g.key, clip(r.gasKWh ?? 0, r, clippedMs));
    }
  }
}

/**
 * The aggregated input cannot give the row path's result (the gas quantity a factor prices holds values that are not
 * short): the caller recomputes from rows (ADR 0145).
 */
export class RowsNeeded extends Error {
  constructor(why: string) {
    super(`aggregated windows cannot be used: ${why}`);
    this.name = 'RowsNeeded';
  }
}

/** A window group the aggregated read should not have formed (a bug, not bad data). */
function groupError(g: WindowGroup, line: string, why: string): Error {
  return new Error(
    `internal: window group ${new Date(g.windowStartMs).toISOString()}–${new Date(g.endMs).toISOString()} of ${line} ${why}`,
  );
}

/** Length of the union of [s, e) intervals (ms). */
function unionMs(spans: [number, number][]): number {
  spans.sort((a, b) => a[0] - b[0]);
  let total = 0,
    curS = -Infinity,
    curE = -Infinity;
  for (const [s, e] of spans) {
    if (s > curE) {
      total += curE - curS > 0 ? curE - curS : 0;
      curS = s;
      curE = e;
    } else if (e > curE) curE = e;
  }
  return total + (curE - curS > 0 ? curE - curS : 0);
}

/**
 * Allocates one line's metered energy in [fromMs, toMs) to its orders by time overlap (partial windows pro-rated):
 * a window's energy × covered ms ÷ window ms belongs to the orders in it, shared by key weight
 * (keyRate × overlap ms); the rest is idle. Shares are computed so that every window conserves exactly (the last
 * share is the remainder).
 */
export function allocateLine(
  line: string,
  region: string,
  windows: (RollupWindow | WindowGroup)[],
  orders: OrderSpan[],
  fromMs: number,
  toMs: number,
  book: FactorBook,
  arithmetic: Arithmetic = CURRENT_ARITHMETIC,
): LineAllocation {
  // sums kept exactly (ExactSum) while windows are whole, read as Dec once at the end
  const perOrder = new Map<string, BucketSums>(orders.map((o) => [o.id, new Map()]));
  const idle: BucketSums = new Map(),
    unallocated: BucketSums = new Map(),
    metered: BucketSums = new Map();
  const estimatedKWh = new Map<string, ExactSum>();
  const rollups: LineAllocation['rollups'] = [];
  let first = 0;
  const cache: KeyCache = {};
  // per-window state read by `take` (one closure per line, not per window)
  let inWindow: { o: OrderSpan; ov: number }[] = [];
  let covered = 0,
    clipped = 0,
    estimated = false;
  const give = (id: string, key: string, v: number | Dec): void => {
    addToSum(perOrder.get(id)!, key, v, arithmetic);
    if (estimated) estimatedOf(id).add(v);
  };
  const estimatedOf = (id: string): ExactSum => {
    let e = estimatedKWh.get(id);
    if (!e) estimatedKWh.set(id, (e = new ExactSum(arithmetic)));
    return e;
  };
  const take = (key: string, energy: number | Dec): void => {
    addToSum(metered, key, energy, arithmetic);
    if (covered === 0) return addToSum(idle, key, energy, arithmetic);
    const orderPart = covered === clipped ? energy : toDec(energy).times(covered).div(clipped);
    if (orderPart !== energy) addToSum(idle, key, toDec(energy).minus(orderPart), arithmetic);
    if (inWindow.length === 1) return give(inWindow[0]!.o.id, key, orderPart);
    const shares = shareWindow(toDec(orderPart), inWindow);
    if (!shares) return addToSum(unallocated, key, orderPart, arithmetic);
    for (let i = 0; i < inWindow.length; i++) give(inWindow[i]!.o.id, key, shares[i]!);
  };
  /**
   * A group of whole windows inside one order (or none) and one factor span: its sums go where each of its windows
   * would have gone, keys created in the order its windows would first have used them (arithmetic 2 only).
   */
  const takeGroup = (g: WindowGroup): void => {
    if (arithmetic !== 2) throw groupError(g, line, 'needs arithmetic 2');
    if (g.windowStartMs < fromMs || g.endMs > toMs) throw groupError(g, line, 'is not inside the period');
    while (first < orders.length && orders[first]!.endMs <= g.windowStartMs) first++;
    const over: OrderSpan[] = [];
    for (let i = first; i < orders.length && orders[i]!.startMs < g.endMs; i++)
      if (orders[i]!.endMs > g.windowStartMs) over.push(orders[i]!);
    if (over.length > 1 || (over.length === 1 && (over[0]!.startMs > g.windowStartMs || over[0]!.endMs < g.endMs)))
      throw groupError(g, line, 'is not wholly inside one order or idle');
    const order = over[0];
    const parts: { key: string; firstMs: number; s: { units: number; estimatedUnits: number } }[] = [];
    if (g.elec.count > 0) {
      const at = g.elec.firstMs!;
      const ec = elecSpan(cache, book, g.site, at);
      if (g.lastStartMs >= ec.to) throw groupError(g, line, 'crosses an electricity mapping validity bound');
      parts.push({ key: ec.key, firstMs: at, s: g.elec });
    }
    if (g.gasM3.count > 0) {
      const at = g.gasM3.firstMs!;
      const gc = gasSpan(cache, book, region, at);
      if (g.lastStartMs >= gc.to) throw groupError(g, line, 'crosses a gas factor validity bound');
      if (!gc.volume) {
        const matching =
          gc.basis === 'gross' ? g.gasBasis.gross : gc.basis === 'net' ? g.gasBasis.net : g.gasBasis.none;
        // the row path names the window: the caller reads the rows again for the precise error
        if (matching !== g.gasM3.count)
          throw new PcfError(
            'ERR_BASIS_MISMATCH',
            `gas energy of line ${line} is not all on the ${gc.basis ?? 'no'} CV basis of factor ${gc.id}`,
            { line, factor: gc.id },
          );
      }
      const used = gc.volume ? g.gasM3 : g.gasKWh;
      if (used.notShort > 0)
        throw new RowsNeeded(
          `${line}: gas ${gc.volume ? 'm³' : 'kWh'} values that are not short in ${new Date(g.windowStartMs).toISOString()}–`,
        );
      parts.push({ key: gc.key, firstMs: at, s: used });
    }
    if (parts.length === 2 && parts[1]!.firstMs < parts[0]!.firstMs) parts.reverse();
    for (const { key, s: sums } of parts) {
      sumOf(metered, key, arithmetic).addUnits(sums.units);
      sumOf(order ? perOrder.get(order.id)! : idle, key, arithmetic).addUnits(sums.units);
      if (order && g.estimated > 0) estimatedOf(order.id).addUnits(sums.estimatedUnits);
    }
  };
  for (const r of windows) {
    if ('group' in r) {
      takeGroup(r);
      continue;
    }
    const cs = Math.max(r.windowStartMs, fromMs),
      ce = Math.min(r.windowStartMs + r.windowMs, toMs);
    if (ce <= cs) continue;
    rollups.push({ id: r.id, revision: r.revision });
    while (first < orders.length && orders[first]!.endMs <= cs) first++;
    inWindow = [];
    for (let i = first; i < orders.length && orders[i]!.startMs < ce; i++) {
      const o = orders[i]!;
      const ov = Math.min(o.endMs, ce) - Math.max(o.startMs, cs);
      if (ov > 0) inWindow.push({ o, ov });
    }
    covered =
      inWindow.length === 0
        ? 0
        : inWindow.length === 1
          ? inWindow[0]!.ov
          : unionMs(inWindow.map(({ o }) => [Math.max(o.startMs, cs), Math.min(o.endMs, ce)]));
    clipped = ce - cs;
    estimated = r.estimated;
    windowEnergy(r, region, book, clipped, cache, take);
  }
  return {
    line,
    windowMs: windows[0]?.windowMs ?? 0,
    perOrder: new Map([...perOrder].map(([id, b]) => [id, sumValues(b)])),
    idle: sumValues(idle),
    unallocated: sumValues(unallocated),
    metered: sumValues(metered),
    estimatedKWh: new Map([...estimatedKWh].map(([id, e]) => [id, e.value()])),
    rollups,
  };
}

/**
 * A window's order part shared by key weight (keyRate × overlap ms), the last share the remainder so the window
 * conserves exactly; undefined when every weight is zero.
 */
function shareWindow(part: Dec, inWindow: { o: OrderSpan; ov: number }[]): Dec[] | undefined {
  const weights = inWindow.map(({ o, ov }) => o.keyRate.times(ov));
  const total = weights.reduce((s, w) => s.plus(w), ZERO);
  if (total.isZero()) return undefined;
  let given = ZERO;
  const shares: Dec[] = [];
  for (let i = 0; i < inWindow.length; i++) {
    const v = i === inWindow.length - 1 ? part.minus(given) : part.times(weights[i]!).div(total);
    given = given.plus(v);
    shares.push(v);
  }
  return shares;
}

/**
 * Spreads `pool` over `receivers` by their in-period key (last share = remainder); none or zero weight ⇒ undefined.
 * With `wanted`, only the shares of wanted receivers are returned (the same values: a share is pool × key ÷ total,
 * and the remainder is computed in full only when the last receiver is wanted) — a site's baseload is spread over
 * every order of the site, while a calculation prices only the orders of the lines it loaded.
 */
export function spread(
  pool: Buckets,
  receivers: readonly OrderSpan[],
  wanted?: (o: OrderSpan) => boolean,
): Map<string, Buckets> | undefined {
  const total = receivers.reduce((s, o) => s.plus(o.keyInPeriod), ZERO);
  if (receivers.length === 0 || total.isZero()) return undefined;
  const last = receivers.length - 1;
  const needRemainder = !wanted || wanted(receivers[last]!);
  const out = new Map<string, Buckets>();
  for (const o of receivers) if (!wanted || wanted(o)) out.set(o.id, new Map());
  for (const [key, v] of pool) {
    let given = ZERO;
    for (let i = 0; i < receivers.length; i++) {
      const o = receivers[i]!;
      const target = out.get(o.id);
      if (i === last) {
        if (target) addTo(target, key, v.minus(given));
      } else if (target || needRemainder) {
        const share = v.times(o.keyInPeriod).div(total);
        if (needRemainder) given = given.plus(share);
        if (target) addTo(target, key, share);
      }
    }
  }
  return out;
}

/** `spread`, one receiver at a time (see `spreadLazily`). */
export interface LazySpread {
  /** False when `spread` would return undefined (no receivers, or every key zero): the pool is then unallocated. */
  spreads: boolean;
  /** The receiver's shares, key by key in pool order, equal to what `spread` gives it; undefined for a non-receiver. */
  shareOf(orderId: string): Buckets | undefined;
}

/**
 * `spread(pool, receivers.list)` computed only for the receivers asked for: a share is pool × key ÷ total, so a
 * receiver's shares need nothing else, except the last receiver's remainder, which needs every other share (computed
 * once). An ad-hoc product prices a few of the hundreds of orders among which a site's baseload is spread.
 */
export function spreadLazily(pool: Buckets, receivers: Receivers): LazySpread {
  const { list, byId, totalKey: total } = receivers;
  const spreads = list.length > 0 && !total.isZero();
  const last = list[list.length - 1];
  let remainder: Buckets | undefined;
  return {
    spreads,
    shareOf(orderId) {
      const o = byId.get(orderId);
      if (!spreads || !o) return undefined;
      if (o === last) return (remainder ??= spread(pool, list, (r) => r === last)!.get(o.id)!);
      const out: Buckets = new Map();
      for (const [key, v] of pool) out.set(key, v.times(o.keyInPeriod).div(total));
      return out;
    },
  };
}
