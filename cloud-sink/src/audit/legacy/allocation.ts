/**
 * FROZEN — the allocation (row path) of cloud-sink at cc21e43, kept only so that audit records of schema
 * pcf-edge.audit/1 still verify (ADR 0180). Never changed: a change here would make those records unverifiable.
 */
import { PcfError } from '@pcf-edge/core';
import { Dec, dec, toDec, UNITS_2026_11, ZERO } from '@pcf-edge/pcf-engine';
import { addToSum, ExactSum, sumValues, type Arithmetic, type BucketSums } from './exact-sum';
import type { FactorBook } from './factors';
import type { OrderSpan } from './orders';
import type { LegacyRollup } from './rollups';

/** Energy quantities keyed by the factor that prices them: `e:<mapping id>` (kWh), `g:<gas factor id>` (kWh or m³). */
export type Buckets = Map<string, Dec>;

export function addTo(b: Buckets, key: string, v: Dec): void {
  const cur = b.get(key);
  b.set(key, cur === undefined ? v : cur.plus(v));
}

export interface LineAllocation {
  line: string;
  windowMs: number;
  perOrder: Map<string, Buckets>;
  idle: Buckets;
  unallocated: Buckets;
  metered: Buckets;
  estimatedKWh: Map<string, Dec>;
  rollups: { id: string; revision: number }[];
}

export function chooseWindowMs(rollups: LegacyRollup[], forced?: number): number | undefined {
  if (forced !== undefined) return forced;
  let best: number | undefined;
  for (const r of rollups) if (best === undefined || r.windowMs < best) best = r.windowMs;
  return best;
}

function clip(v: number, r: LegacyRollup, clippedMs: number): number | Dec {
  return clippedMs === r.windowMs ? v : dec(v).times(clippedMs).div(r.windowMs);
}

/** The energy of one window clipped to the period, per bucket key, handed to `take`: electricity, then gas. */
function windowEnergy(
  r: LegacyRollup,
  region: string,
  book: FactorBook,
  clippedMs: number,
  take: (key: string, energy: number | Dec) => void,
): void {
  const at = r.windowStartMs;
  const elec = r.type === 'site' ? (r.baseloadKWh ?? 0) : (r.electricityKWh ?? 0);
  if (elec > 0) take(`e:${book.electricityMapping(r.site, at).id}`, clip(elec, r, clippedMs));
  if (r.type === 'line' && ((r.gasKWh ?? 0) > 0 || (r.gasM3 ?? 0) > 0)) {
    const f = book.factor('natural-gas', region, at);
    if (UNITS_2026_11.dimensionOf(f.unit) !== 'energy') take(`g:${f.id}`, clip(r.gasM3 ?? 0, r, clippedMs));
    else {
      if (f.energyBasis !== r.gasCvBasis) {
        throw new PcfError(
          'ERR_BASIS_MISMATCH',
          `gas energy of line ${r.line} is on ${r.gasCvBasis ?? 'no'} CV basis but factor ${f.id} is ${f.energyBasis ?? 'without basis'}`,
          { line: r.line, factor: f.id, rollup: r.id },
        );
      }
      take(`g:${f.id}`, clip(r.gasKWh ?? 0, r, clippedMs));
    }
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

/** Allocates one line's metered energy in [fromMs, toMs) to its orders by time overlap (ADR 0031). */
export function allocateLine(
  line: string,
  region: string,
  windows: LegacyRollup[],
  orders: OrderSpan[],
  fromMs: number,
  toMs: number,
  book: FactorBook,
  arithmetic: Arithmetic,
): LineAllocation {
  const perOrder = new Map<string, BucketSums>(orders.map((o) => [o.id, new Map()]));
  const idle: BucketSums = new Map(),
    unallocated: BucketSums = new Map(),
    metered: BucketSums = new Map();
  const estimatedKWh = new Map<string, ExactSum>();
  const rollups: LineAllocation['rollups'] = [];
  let first = 0;
  for (const r of windows) {
    const cs = Math.max(r.windowStartMs, fromMs),
      ce = Math.min(r.windowStartMs + r.windowMs, toMs);
    if (ce <= cs) continue;
    rollups.push({ id: r.id, revision: r.revision });
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
    const give = (id: string, key: string, v: number | Dec): void => {
      addToSum(perOrder.get(id)!, key, v, arithmetic);
      if (r.estimated) {
        let e = estimatedKWh.get(id);
        if (!e) estimatedKWh.set(id, (e = new ExactSum(arithmetic)));
        e.add(v);
      }
    };
    windowEnergy(r, region, book, clipped, (key, energy) => {
      addToSum(metered, key, energy, arithmetic);
      if (covered === 0) return addToSum(idle, key, energy, arithmetic);
      const orderPart = covered === clipped ? energy : toDec(energy).times(covered).div(clipped);
      if (orderPart !== energy) addToSum(idle, key, toDec(energy).minus(orderPart), arithmetic);
      if (inWindow.length === 1) return give(inWindow[0]!.o.id, key, orderPart);
      const shares = shareWindow(toDec(orderPart), inWindow);
      if (!shares) return addToSum(unallocated, key, orderPart, arithmetic);
      for (let i = 0; i < inWindow.length; i++) give(inWindow[i]!.o.id, key, shares[i]!);
    });
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

/** Spreads `pool` over `receivers` by their in-period key (last share = remainder); none or zero weight ⇒ undefined. */
export function spread(pool: Buckets, receivers: readonly OrderSpan[]): Map<string, Buckets> | undefined {
  const total = receivers.reduce((s, o) => s.plus(o.keyInPeriod), ZERO);
  if (receivers.length === 0 || total.isZero()) return undefined;
  const out = new Map<string, Buckets>();
  for (const o of receivers) out.set(o.id, new Map());
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
