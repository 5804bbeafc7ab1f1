import { PcfError } from '@pcf-edge/core';
import type { StoredRollup } from '../store/repository';
import { Dec, dec, ZERO } from './decimal';
import type { FactorBook } from './factors';
import type { OrderSpan } from './orders';
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
export function chooseWindowMs(rollups: StoredRollup[], forced?: number): number | undefined {
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

/** The energy of one window clipped to the period, per bucket key (basis checked against the gas factor). */
function windowEnergy(r: StoredRollup, region: string, book: FactorBook, clippedMs: number, cache: KeyCache): [string, Dec][] {
  const out: [string, Dec][] = [];
  const at = r.windowStartMs;
  const scale = (v: number) => (clippedMs === r.windowMs ? dec(v) : dec(v).times(clippedMs).div(r.windowMs));
  const elec = r.type === 'site' ? r.baseloadKWh ?? 0 : r.electricityKWh ?? 0;
  if (elec > 0) {
    if (!cache.elec || at < cache.elec.from || at >= cache.elec.to) {
      const span = book.electricityMappingSpan(r.site, at);
      cache.elec = { key: `e:${span.mapping.id}`, from: span.from, to: span.to };
    }
    out.push([cache.elec.key, scale(elec)]);
  }
  if (r.type === 'line' && ((r.gasKWh ?? 0) > 0 || (r.gasM3 ?? 0) > 0)) {
    if (!cache.gas || at < cache.gas.from || at >= cache.gas.to) {
      const { factor: f, from, to } = book.factorSpan('natural-gas', region, at);
      cache.gas = { key: `g:${f.id}`, from, to, volume: dimensionOf(f.unit) !== 'energy', basis: f.energyBasis, id: f.id };
    }
    const g = cache.gas;
    if (g.volume) out.push([g.key, scale(r.gasM3 ?? 0)]);
    else {
      if (g.basis !== r.gasCvBasis) {
        throw new PcfError('ERR_BASIS_MISMATCH', `gas energy of line ${r.line} is on ${r.gasCvBasis ?? 'no'} CV basis but factor ${g.id} is ${g.basis ?? 'without basis'}`, { line: r.line, factor: g.id, rollup: r.id });
      }
      out.push([g.key, scale(r.gasKWh ?? 0)]);
    }
  }
  return out;
}

/** Length of the union of [s, e) intervals (ms). */
function unionMs(spans: [number, number][]): number {
  spans.sort((a, b) => a[0] - b[0]);
  let total = 0, curS = -Infinity, curE = -Infinity;
  for (const [s, e] of spans) {
    if (s > curE) { total += curE - curS > 0 ? curE - curS : 0; curS = s; curE = e; } else if (e > curE) curE = e;
  }
  return total + (curE - curS > 0 ? curE - curS : 0);
}

/**
 * Allocates one line's metered energy in [fromMs, toMs) to its orders by time overlap (partial windows pro-rated):
 * a window's energy × covered ms ÷ window ms belongs to the orders in it, shared by key weight
 * (keyRate × overlap ms); the rest is idle. Shares are computed so that every window conserves exactly (the last
 * share is the remainder).
 */
export function allocateLine(line: string, region: string, windows: StoredRollup[], orders: OrderSpan[], fromMs: number, toMs: number, book: FactorBook): LineAllocation {
  const a: LineAllocation = {
    line, windowMs: windows[0]?.windowMs ?? 0, perOrder: new Map(orders.map((o) => [o.id, new Map()])),
    idle: new Map(), unallocated: new Map(), metered: new Map(), estimatedKWh: new Map(), rollups: [],
  };
  let first = 0;
  const cache: KeyCache = {};
  for (const r of windows) {
    const cs = Math.max(r.windowStartMs, fromMs), ce = Math.min(r.windowStartMs + r.windowMs, toMs);
    if (ce <= cs) continue;
    a.rollups.push({ id: r.id, revision: r.revision });
    while (first < orders.length && orders[first]!.endMs <= cs) first++;
    const inWindow: { o: OrderSpan; ov: number }[] = [];
    for (let i = first; i < orders.length && orders[i]!.startMs < ce; i++) {
      const o = orders[i]!;
      const ov = Math.min(o.endMs, ce) - Math.max(o.startMs, cs);
      if (ov > 0) inWindow.push({ o, ov });
    }
    const covered = inWindow.length === 1 ? inWindow[0]!.ov : unionMs(inWindow.map(({ o }) => [Math.max(o.startMs, cs), Math.min(o.endMs, ce)]));
    for (const [key, energy] of windowEnergy(r, region, book, ce - cs, cache)) {
      addTo(a.metered, key, energy);
      if (covered === 0) { addTo(a.idle, key, energy); continue; }
      const orderPart = covered === ce - cs ? energy : energy.times(covered).div(ce - cs);
      if (orderPart !== energy) addTo(a.idle, key, energy.minus(orderPart));
      shareWindow(a, key, orderPart, inWindow, r.estimated);
    }
  }
  return a;
}

function shareWindow(a: LineAllocation, key: string, part: Dec, inWindow: { o: OrderSpan; ov: number }[], estimated: boolean): void {
  const give = (id: string, v: Dec) => {
    addTo(a.perOrder.get(id)!, key, v);
    if (estimated) a.estimatedKWh.set(id, (a.estimatedKWh.get(id) ?? ZERO).plus(v));
  };
  if (inWindow.length === 1) return give(inWindow[0]!.o.id, part);
  const weights = inWindow.map(({ o, ov }) => o.keyRate.times(ov));
  const total = weights.reduce((s, w) => s.plus(w), ZERO);
  if (total.isZero()) return addTo(a.unallocated, key, part);
  let given = ZERO;
  inWindow.forEach(({ o }, i) => {
    const v = i === inWindow.length - 1 ? part.minus(given) : part.times(weights[i]!).div(total);
    given = given.plus(v);
    give(o.id, v);
  });
}

/** Spreads `pool` over `receivers` by their in-period key (last share = remainder); none or zero weight ⇒ undefined. */
export function spread(pool: Buckets, receivers: readonly OrderSpan[]): Map<string, Buckets> | undefined {
  const total = receivers.reduce((s, o) => s.plus(o.keyInPeriod), ZERO);
  if (receivers.length === 0 || total.isZero()) return undefined;
  const out = new Map<string, Buckets>(receivers.map((o) => [o.id, new Map()]));
  for (const [key, v] of pool) {
    let given = ZERO;
    receivers.forEach((o, i) => {
      const share = i === receivers.length - 1 ? v.minus(given) : v.times(o.keyInPeriod).div(total);
      given = given.plus(share);
      addTo(out.get(o.id)!, key, share);
    });
  }
  return out;
}
