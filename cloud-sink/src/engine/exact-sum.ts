import { Dec, dec } from './decimal';

/** Integer millionths: the fast path holds quantities of at most 6 decimals (rollups carry kWh and m³ to 3). */
const SCALE = 1e6;
/** Below 2^31 a double's spacing is under 1e-6, so no two numbers of 6 decimals read as the same double. */
const MAX_SHORT = 2 ** 31;

/**
 * `v` in integer millionths when `dec(v)` has at most 6 decimals and |v| < 2^31, else undefined. Exact: decimal.js
 * reads a number as its shortest decimal (`String(v)`); n ÷ 10^6 (correctly rounded) === v means the decimal
 * n × 10^-6 reads as v, and below 2^31 it is the only decimal of ≤ 6 places that does, hence the shortest.
 */
export function millionths(v: number): number | undefined {
  if (!(Math.abs(v) < MAX_SHORT) || Object.is(v, -0)) return undefined;
  const n = Math.round(v * SCALE);
  return n / SCALE === v ? n : undefined;
}

/**
 * A running sum equal, digit for digit, to the left-to-right chain `dec(v1).plus(v2).plus(…)` of the values added.
 * While every value is a short number (see `millionths`) the sum is kept in integer millionths (a JS number, exact
 * up to 2^53): each partial sum then has at most 16 significant digits, so the 40-digit Dec chain would not have
 * rounded either. The first other value (a pro-rated Dec, a longer number, an integer past 2^53) turns the sum so
 * far into one Dec, and from then on values are added with `Dec.plus`, as before. This keeps a calculation's
 * per-window loop (thousands of windows per line and month) free of Decimal objects for whole windows.
 */
export class ExactSum {
  private units = 0;
  private exact: Dec | undefined;

  add(v: number | Dec): void {
    if (this.exact === undefined && typeof v === 'number') {
      const n = millionths(v);
      if (n !== undefined && Number.isSafeInteger(this.units + n)) {
        this.units += n;
        return;
      }
    }
    this.exact = this.value().plus(typeof v === 'number' ? dec(v) : v);
  }

  value(): Dec {
    return this.exact ?? new Dec(`${this.units}e-6`);
  }
}

/** Sums per bucket key, in first-added order (the order bucket maps are iterated in for pricing and traces). */
export type BucketSums = Map<string, ExactSum>;

export function addToSum(b: BucketSums, key: string, v: number | Dec): void {
  let s = b.get(key);
  if (!s) b.set(key, (s = new ExactSum()));
  s.add(v);
}

export function sumValues(b: BucketSums): Map<string, Dec> {
  const out = new Map<string, Dec>();
  for (const [key, s] of b) out.set(key, s.value());
  return out;
}
