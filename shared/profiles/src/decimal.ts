/**
 * Exact decimal scaling. Profile scales are decimal numbers (0.1, 0.001, 0.01); multiplying an integer raw value by
 * the binary double nearest to 0.1 gives results like 0.30000000000000004. Here a scale is taken as the exact
 * decimal its shortest string form names (String(0.1) = "0.1" means 1/10), the product is formed in bigint
 * arithmetic and converted once, correctly rounded, to a double.
 */

export interface Decimal {
  /** value = digits × 10^exp */
  digits: bigint;
  exp: number;
}

/** The exact decimal that the shortest round-trip string of a finite double names. */
export function toDecimal(x: number): Decimal {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) throw new RangeError(`cannot parse number ${x}`);
  const frac = m[3] ?? '';
  const digits = BigInt(`${m[1]}${m[2]}${frac}`);
  return { digits, exp: Number(m[4] ?? 0) - frac.length };
}

/** Correctly rounded double of digits × 10^exp. */
export function decimalToNumber(d: Decimal): number {
  return Number(`${d.digits}e${d.exp}`);
}

/** raw × scale, with scale read as a decimal, correctly rounded to a double. */
export function scaleInteger(raw: bigint, scale: number): number {
  const s = toDecimal(scale);
  return decimalToNumber({ digits: raw * s.digits, exp: s.exp });
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** round(value / scale) to the nearest integer (half away from zero), both read as decimals; exact. */
export function divideToInteger(value: number, scale: number): bigint {
  const v = toDecimal(value);
  const s = toDecimal(scale);
  if (s.digits === 0n) throw new RangeError('scale must not be 0');
  let num = v.digits * pow10(Math.max(0, v.exp - s.exp));
  let den = s.digits * pow10(Math.max(0, s.exp - v.exp));
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const q = num / den;
  const r = num - q * den;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice >= den) return num < 0n ? q - 1n : q + 1n;
  return q;
}
