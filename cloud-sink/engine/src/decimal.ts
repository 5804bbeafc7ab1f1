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

/**
 * Whether `x` needs no rounding at the Decimal's precision (40 digits): at most 5 words of 7 digits, or a shorter
 * count of significant digits. Every result of arithmetic is such a value; a number read as given may not be.
 */
const fits = (x: Dec): boolean => x.d.length <= 5 || x.sd() <= 40;
const isOne = (x: Dec): boolean => x.s === 1 && x.e === 0 && x.d !== null && x.d.length === 1 && x.d[0] === 1;
const isNonZero = (x: Dec): boolean => x.d !== null && x.d[0] !== 0;

/**
 * `a.times(b)`, digit for digit: when one factor is exactly 1 and the other needs no rounding (the product is then
 * that other factor, which `times` would copy), that factor itself. Decimals are immutable, so sharing is safe.
 */
export function mul(a: Dec, b: Dec): Dec {
  if (isOne(a) && b.d !== null && fits(b)) return b;
  if (isOne(b) && a.d !== null && fits(a)) return a;
  return a.times(b);
}

/** `a.plus(b)`, digit for digit: when one side is zero and the other is not zero and needs no rounding, that side. */
export function add(a: Dec, b: Dec): Dec {
  if (a.d !== null && a.d[0] === 0 && isNonZero(b) && fits(b)) return b;
  if (b.d !== null && b.d[0] === 0 && isNonZero(a) && fits(a)) return a;
  return a.plus(b);
}
