import { QUANTITIES, type Quantity } from '@pcf-edge/core';
import type { PointDefinition, RegisterTable, RegisterType, WordOrder } from '../types';

/** The encoding a meter uses for a group of points. */
export interface Encoding {
  table: RegisterTable;
  type: RegisterType;
  wordOrder: WordOrder;
}

export interface PointOptions {
  scale?: number;
  offset?: number;
  modulus?: number;
  maxRatePerHour?: number;
}

/** One point; kind follows the quantity catalogue. */
export function point(
  name: string,
  quantity: Quantity,
  address: number,
  enc: Encoding,
  opts: PointOptions = {},
): PointDefinition {
  const p: PointDefinition = {
    name,
    quantity,
    kind: QUANTITIES[quantity].kind,
    table: enc.table,
    address,
    type: enc.type,
    wordOrder: enc.wordOrder,
    scale: opts.scale ?? 1,
    offset: opts.offset ?? 0,
  };
  if (opts.modulus !== undefined) p.modulus = opts.modulus;
  if (opts.maxRatePerHour !== undefined) p.maxRatePerHour = opts.maxRatePerHour;
  return p;
}

/** Three phase points (L1, L2, L3) at `first`, `first + stride`, `first + 2 × stride`. */
export function phases(
  prefix: string,
  quantity: 'voltage' | 'current',
  first: number,
  stride: number,
  enc: Encoding,
  opts: PointOptions = {},
): PointDefinition[] {
  return [1, 2, 3].map((n, i) => point(`${prefix}L${n}`, quantity, first + i * stride, enc, opts));
}
