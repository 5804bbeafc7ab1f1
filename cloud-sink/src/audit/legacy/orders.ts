/**
 * FROZEN — Order spans of cloud-sink at cc21e43, kept only so that audit records of schema pcf-edge.audit/1 still verify
 * (ADR 0180). Never changed: a change here would make those records unverifiable.
 */
import { PcfError } from '@pcf-edge/core';
import {
  dec,
  type AllocationKey,
  type Dec,
  type Product,
  type ProductionOrder,
  type ReferenceSnapshot,
} from '@pcf-edge/pcf-engine';

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
}

function keyPerUnit(key: AllocationKey, p: Product, productId: string): Dec | undefined {
  switch (key) {
    case 'units':
      return dec(1);
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

/** Orders overlapping [fromMs, toMs), clipped, with the key rate for `key`; sorted by start, then id. */
export function ordersInPeriod(
  snapshot: ReferenceSnapshot,
  fromMs: number,
  toMs: number,
  key: AllocationKey,
): OrderSpan[] {
  const out: OrderSpan[] = [];
  for (const e of snapshot.orders.values()) {
    const s = Date.parse(e.data.start),
      en = Date.parse(e.data.end);
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
    const perUnit = keyPerUnit(key, product, o.product);
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
    });
  }
  return out.sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1));
}
