import DecimalJs from 'decimal.js';

/**
 * All PCF arithmetic runs on this Decimal: 40 significant digits, half-up, so only results longer than that
 * (divisions, long products) round, at the 40th digit. Values are rounded only where they are
 * presented (see `present`), never before a sum.
 */
export const Dec = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 40 });
export type Dec = DecimalJs;

export const ZERO = new Dec(0);

export function dec(value: number | string | Dec): Dec {
  return new Dec(value);
}

/** A number read as a Dec; a Dec as it is (no copy). */
export const toDec = (v: number | Dec): Dec => (typeof v === 'number' ? new Dec(v) : v);

export function sum(values: Iterable<Dec>): Dec {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** Presentation rounding: `decimals` places, half-up, trailing zeros removed. */
export function present(value: Dec, decimals: number): string {
  return value.toDecimalPlaces(decimals, DecimalJs.ROUND_HALF_UP).toString();
}
