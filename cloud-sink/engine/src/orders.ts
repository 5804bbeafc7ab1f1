import { PcfError } from '@pcf-edge/core';
import type { Product, ProductionOrder, RefEntity, ReferenceSnapshot } from './reference';
import { Dec, dec } from './decimal';
import type { AllocationKey } from './options';
import { unitDef, type Units } from './units';
import { unitsKeyFields } from './key-units';

/** An order as the engine sees it in one period: its span clipped to the period, quantities pro-rated by time. */
export interface OrderSpan {
  id: string;
  version: number;
  line: string;
  site: string;
  product: string;
  /** Clipped to the period, epoch ms. */
  startMs: number;
  endMs: number;
  fullDurationMs: number;
  /** good / scrap × (clipped duration ÷ full duration): the order's output inside the period. */
  goodInPeriod: Dec;
  scrapInPeriod: Dec;
  /** Allocation key value per ms of the order's full span (machineTime: 1). */
  keyRate: Dec;
  /** Key value inside the period (keyRate × clipped ms). */
  keyInPeriod: Dec;
  /**
   * With key `units` (exact unit table): the product's declared unit (canonical). The key is then counted in that
   * unit's dimension base (kg, m3, J, …), so orders of one dimension share exactly (see key-units.ts).
   */
  keyUnit?: string;
  /** With key `units`, where the product's mass is declared: kg per ms, for pools of unlike units; and in the period. */
  massKeyRate?: Dec;
  massKeyInPeriod?: Dec;
}

/** The key per declared unit; `units` in the declared unit's dimension base (1 with the 2026-11 table). */
function keyPerUnit(key: AllocationKey, p: Product, productId: string, units: Units): Dec | undefined {
  switch (key) {
    case 'units':
      return units.name === 'exact' ? dec(declaredUnitDef(p, productId).inBase) : dec(1);
    case 'machineTime':
      return undefined;
    case 'mass':
      if (p.massKgPerDeclaredUnit === undefined)
        throw new PcfError(
          'ERR_REFERENCE_INVALID',
          `product ${productId} has no massKgPerDeclaredUnit, needed by allocation key 'mass'`,
          { product: productId },
        );
      return dec(p.massKgPerDeclaredUnit);
    case 'economicValue':
      if (p.economicValuePerDeclaredUnit === undefined)
        throw new PcfError(
          'ERR_REFERENCE_INVALID',
          `product ${productId} has no economicValuePerDeclaredUnit, needed by allocation key 'economicValue'`,
          { product: productId },
        );
      return dec(p.economicValuePerDeclaredUnit);
  }
}

function declaredUnitDef(p: Product, productId: string): NonNullable<ReturnType<typeof unitDef>> {
  const d = unitDef(p.declaredUnit);
  if (!d)
    throw new PcfError('ERR_UNIT', `product ${productId} has declared unit '${p.declaredUnit}', not in the catalogue`, {
      product: productId,
    });
  return d;
}

function unitsKey(p: Product, o: ProductionOrder, fullMs: number, inPeriodMs: number) {
  const d = declaredUnitDef(p, o.product);
  const f = unitsKeyFields(p, d.symbol, d.inBase, dec(o.goodQuantity), fullMs);
  return f.massKeyRate === undefined ? f : { ...f, massKeyInPeriod: f.massKeyRate.times(inPeriodMs) };
}

/** An order with its start and end parsed (epoch ms). */
export interface OrderTime {
  e: RefEntity<ProductionOrder>;
  s: number;
  en: number;
}

/** Every order of a snapshot with its start and end parsed. */
export function orderTimes(snapshot: ReferenceSnapshot): OrderTime[] {
  return [...snapshot.orders.values()].map((e) => ({ e, s: Date.parse(e.data.start), en: Date.parse(e.data.end) }));
}

/**
 * Orders overlapping [fromMs, toMs), clipped, with the key rate for `key`; sorted by start, then id; frozen.
 * `units` chooses how key `units` counts: in the dimension base (exact), or 1 per declared unit (2026-11).
 */
export function computeSpans(
  snapshot: ReferenceSnapshot,
  times: readonly OrderTime[],
  fromMs: number,
  toMs: number,
  key: AllocationKey,
  units: Units,
): readonly OrderSpan[] {
  const out: OrderSpan[] = [];
  for (const { e, s, en } of times) {
    if (en <= fromMs || s >= toMs) continue;
    const o: ProductionOrder = e.data;
    const startMs = Math.max(s, fromMs),
      endMs = Math.min(en, toMs);
    if (endMs <= startMs) continue;
    const line = snapshot.lines.get(o.line)?.data;
    const product = snapshot.products.get(o.product)?.data;
    if (!line || !product)
      throw new PcfError('ERR_REFERENCE_INVALID', `order ${o.id} references unknown ${line ? 'product' : 'line'}`, {
        order: o.id,
      });
    const full = en - s;
    const share = dec(endMs - startMs).div(full);
    const perUnit = keyPerUnit(key, product, o.product, units);
    const keyRate = perUnit === undefined ? dec(1) : dec(o.goodQuantity).times(perUnit).div(full);
    out.push({
      id: o.id,
      version: e.version,
      line: o.line,
      site: line.site,
      product: o.product,
      startMs,
      endMs,
      fullDurationMs: full,
      goodInPeriod: endMs - startMs === full ? dec(o.goodQuantity) : dec(o.goodQuantity).times(share),
      scrapInPeriod: endMs - startMs === full ? dec(o.scrapQuantity) : dec(o.scrapQuantity).times(share),
      keyRate,
      keyInPeriod: keyRate.times(endMs - startMs),
      ...(key === 'units' && units.name === 'exact' ? unitsKey(product, o, full, endMs - startMs) : {}),
    });
  }
  return Object.freeze(
    out.sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1)).map((o) => Object.freeze(o)),
  );
}
