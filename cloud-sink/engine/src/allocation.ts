import { PcfError } from '@pcf-edge/core';
import { Dec, ZERO } from './decimal';
import type { EnergyInterval, LineEnergy } from './energy';
import { asDec, BucketSums, EnergySum, type Energy } from './energy-sum';
import type { FactorBook } from './factors';
import type { OrderSpan } from './orders';
import type { Receivers } from './reference-index';
import { inPeriod, rateIn, unitsPool, unlikeUnitsError, type UnitsPool } from './key-units';

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
  perOrder: Map<string, Buckets>;
  /** Energy in windows (or parts of windows) outside every order: overhead to spread. */
  idle: Buckets;
  /** Order-covered energy that no order could take (all key weights zero). */
  unallocated: Buckets;
  metered: Buckets;
  /** kWh (m³ for volume gas factors) from windows flagged estimated, per order. */
  estimatedKWh: Map<string, Dec>;
}

/** Whose energy a line allocation reads: a line's (electricity and gas) or a site's baseload (electricity only). */
export type SeriesKind = 'line' | 'site';

interface Span {
  key: string;
  from: number;
  to: number;
}
interface GasSpan extends Span {
  volume: boolean;
  basis: 'gross' | 'net' | null;
  id: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The buckets' factor spans, looked up only when a window starts outside the cached one, and each key's rank (the
 * start of its validity) for the canonical bucket order.
 */
class Keys {
  private elec: Span | undefined;
  private gas: GasSpan | undefined;
  readonly rank = new Map<string, number>();

  constructor(
    private readonly book: FactorBook,
    private readonly region: string,
  ) {}

  /** The electricity bucket valid at `at` (a window start) for `site`. */
  electricity(site: string, at: number): Span {
    if (!this.elec || at < this.elec.from || at >= this.elec.to) {
      const span = this.book.electricityMappingSpan(site, at);
      this.elec = { key: `e:${span.mapping.id}`, from: span.from, to: span.to };
      this.rank.set(this.elec.key, span.from);
    }
    return this.elec;
  }

  /** The natural-gas factor bucket valid at `at` in the site's region. */
  gasFactor(at: number): GasSpan {
    if (!this.gas || at < this.gas.from || at >= this.gas.to) {
      const { factor: f, from, to } = this.book.factorSpan('natural-gas', this.region, at);
      this.gas = {
        key: `g:${f.id}`,
        from,
        to,
        volume: this.book.units.dimensionOf(f.unit) !== 'energy',
        basis: f.energyBasis,
        id: f.id,
      };
      this.rank.set(this.gas.key, from);
    }
    return this.gas;
  }
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

/** A group the read should not have formed (a broken read contract, not bad data). */
function groupError(iv: EnergyInterval, line: string, why: string): Error {
  return new Error(`internal: energy interval ${iso(iv.startMs)}–${iso(iv.endMs)} of ${line} ${why}`);
}

/**
 * Allocates one line's (or site's) metered energy in [fromMs, toMs) to its orders by time overlap (ADR 0031):
 * a window's energy × covered ms ÷ window ms belongs to the orders in it, shared by key weight (keyRate × overlap
 * ms), the last share the remainder, so every window conserves exactly; the rest is idle. An interval of several
 * windows must lie inside the period, inside one order (or none) and inside one mapping and gas-factor validity
 * (`summableSegments`): all of it goes one way, as an exact integer.
 */
export function allocateLine(
  line: string,
  kind: SeriesKind,
  region: string,
  energy: LineEnergy,
  orders: readonly OrderSpan[],
  fromMs: number,
  toMs: number,
  book: FactorBook,
): LineAllocation {
  const perOrder = new Map<string, BucketSums>(orders.map((o) => [o.id, new BucketSums()]));
  const idle = new BucketSums(),
    unallocated = new BucketSums(),
    metered = new BucketSums();
  const estimatedKWh = new Map<string, EnergySum>();
  const keys = new Keys(book, region);
  let first = 0;
  const estimatedOf = (id: string): EnergySum => {
    let e = estimatedKWh.get(id);
    if (!e) estimatedKWh.set(id, (e = new EnergySum()));
    return e;
  };
  /** The gas quantity the factor valid at the interval's start prices, its basis checked. */
  const gasOf = (iv: EnergyInterval): { key: string; micro: bigint; to: number } | undefined => {
    if (kind !== 'line' || (iv.gasKWh === 0n && iv.gasM3 === 0n)) return undefined;
    const g = keys.gasFactor(iv.startMs);
    if (g.volume) return { key: g.key, micro: iv.gasM3, to: g.to };
    if (g.basis !== iv.gasCvBasis) {
      throw new PcfError(
        'ERR_BASIS_MISMATCH',
        `gas energy of line ${line} in ${iso(iv.startMs)}–${iso(iv.endMs)} is on ${iv.gasCvBasis ?? 'no'} CV basis but factor ${g.id} is ${g.basis ?? 'without basis'}`,
        { line, factor: g.id, from: iso(iv.startMs), to: iso(iv.endMs) },
      );
    }
    return { key: g.key, micro: iv.gasKWh, to: g.to };
  };

  /** One window, clipped to the period, pro-rated where orders cover part of it or share it. */
  const takeWindow = (iv: EnergyInterval): void => {
    const cs = Math.max(iv.startMs, fromMs),
      ce = Math.min(iv.endMs, toMs);
    if (ce <= cs) return;
    while (first < orders.length && orders[first]!.endMs <= cs) first++;
    const inWindow: { o: OrderSpan; ov: number }[] = [];
    for (let i = first; i < orders.length && orders[i]!.startMs < ce; i++) {
      const o = orders[i]!;
      const ov = Math.min(o.endMs, ce) - Math.max(o.startMs, cs);
      if (ov > 0) inWindow.push({ o, ov });
    }
    const covered =
      inWindow.length === 0
        ? 0
        : inWindow.length === 1
          ? inWindow[0]!.ov
          : unionMs(inWindow.map(({ o }) => [Math.max(o.startMs, cs), Math.min(o.endMs, ce)]));
    const clipped = ce - cs;
    const clip = (micro: bigint): Energy =>
      clipped === iv.windowMs ? micro : asDec(micro).times(clipped).div(iv.windowMs);
    const give = (id: string, key: string, e: Energy): void => {
      perOrder.get(id)!.add(key, e);
      if (iv.estimated) estimatedOf(id).add(e);
    };
    const take = (key: string, e: Energy): void => {
      metered.add(key, e);
      if (covered === 0) return idle.add(key, e);
      const orderPart = covered === clipped ? e : asDec(e).times(covered).div(clipped);
      if (orderPart !== e) idle.add(key, asDec(e).minus(orderPart));
      if (inWindow.length === 1) return give(inWindow[0]!.o.id, key, orderPart);
      const pool = unitsPool(inWindow.map(({ o }) => o));
      if ('unlike' in pool) throw unlikeUnitsError(pool.unlike, `the window ${iso(cs)}–${iso(ce)} of ${line}`);
      const shares = shareWindow(asDec(orderPart), inWindow, pool);
      if (!shares) return unallocated.add(key, orderPart);
      for (let i = 0; i < inWindow.length; i++) give(inWindow[i]!.o.id, key, shares[i]!);
    };
    if (iv.electricity > 0n) take(keys.electricity(iv.site, iv.startMs).key, clip(iv.electricity));
    const gas = gasOf(iv);
    if (gas) take(gas.key, clip(gas.micro));
  };

  /** Whole windows inside the period, one order (or none) and one factor span: all of it to one bucket. */
  const takeGroup = (iv: EnergyInterval): void => {
    if (iv.startMs < fromMs || iv.endMs > toMs) throw groupError(iv, line, 'is not inside the period');
    while (first < orders.length && orders[first]!.endMs <= iv.startMs) first++;
    const over: OrderSpan[] = [];
    for (let i = first; i < orders.length && orders[i]!.startMs < iv.endMs; i++)
      if (orders[i]!.endMs > iv.startMs) over.push(orders[i]!);
    if (over.length > 1 || (over.length === 1 && (over[0]!.startMs > iv.startMs || over[0]!.endMs < iv.endMs)))
      throw groupError(iv, line, 'is not wholly inside one order or idle');
    const target = over[0] ? perOrder.get(over[0].id)! : idle;
    const lastStart = iv.endMs - iv.windowMs;
    const put = (key: string, micro: bigint): void => {
      metered.add(key, micro);
      target.add(key, micro);
      if (over[0] && iv.estimated) estimatedOf(over[0].id).add(micro);
    };
    if (iv.electricity > 0n) {
      const e = keys.electricity(iv.site, iv.startMs);
      if (lastStart >= e.to) throw groupError(iv, line, 'crosses an electricity mapping validity bound');
      put(e.key, iv.electricity);
    }
    const gas = gasOf(iv);
    if (gas) {
      if (lastStart >= gas.to) throw groupError(iv, line, 'crosses a gas factor validity bound');
      put(gas.key, gas.micro);
    }
  };

  for (const iv of energy.intervals) (iv.windows === 1 ? takeWindow : takeGroup)(iv);
  const rank = (key: string) => keys.rank.get(key) ?? 0;
  return {
    line,
    perOrder: new Map([...perOrder].map(([id, b]) => [id, b.values(rank)])),
    idle: idle.values(rank),
    unallocated: unallocated.values(rank),
    metered: metered.values(rank),
    estimatedKWh: new Map([...estimatedKWh].map(([id, e]) => [id, e.value()])),
  };
}

/**
 * A window's order part shared by key weight (keyRate × overlap ms), the last share the remainder so the window
 * conserves exactly; undefined when every weight is zero.
 */
function shareWindow(part: Dec, inWindow: { o: OrderSpan; ov: number }[], pool: UnitsPool): Dec[] | undefined {
  const weights = inWindow.map(({ o, ov }) => rateIn(pool, o).times(ov));
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
 * Spreads `pool` over `receivers` by their in-period key (`keyOf`) (last share = remainder); none or zero weight ⇒ undefined.
 * With `wanted`, only the shares of wanted receivers are returned (the same values: a share is pool × key ÷ total,
 * and the remainder is computed in full only when the last receiver is wanted) — a site's baseload is spread over
 * every order of the site, while a calculation prices only the orders of the lines it loaded.
 */
export function spread(
  pool: Buckets,
  receivers: readonly OrderSpan[],
  wanted?: (o: OrderSpan) => boolean,
  keyOf: (o: OrderSpan) => Dec = inPeriod,
): Map<string, Buckets> | undefined {
  const total = receivers.reduce((s, o) => s.plus(keyOf(o)), ZERO);
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
        const share = v.times(keyOf(o)).div(total);
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
export function spreadLazily(pool: Buckets, receivers: Receivers, what = 'a pool'): LazySpread {
  const { list, byId, totalKey: total, keyOf } = receivers;
  const spreads = list.length > 0 && !total.isZero();
  if (spreads && receivers.unlike && [...pool.values()].some((v) => !v.isZero()))
    throw unlikeUnitsError(receivers.unlike, what);
  const last = list[list.length - 1];
  let remainder: Buckets | undefined;
  return {
    spreads,
    shareOf(orderId) {
      const o = byId.get(orderId);
      if (!spreads || !o) return undefined;
      if (o === last) return (remainder ??= spread(pool, list, (r) => r === last, keyOf)!.get(o.id)!);
      const out: Buckets = new Map();
      for (const [key, v] of pool) out.set(key, v.times(keyOf(o)).div(total));
      return out;
    },
  };
}
