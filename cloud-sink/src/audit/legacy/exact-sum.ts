/**
 * FROZEN — The summation of cloud-sink at cc21e43 (arithmetics 1 and 2), kept only so that audit records of schema
 * pcf-edge.audit/1 still verify (ADR 0180). Never changed: a change here would make those records unverifiable.
 */
import { Dec, toDec } from '@pcf-edge/pcf-engine';

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
 * How a calculation sums a bucket (the engine's arithmetic version, recorded in every audit record so `audit verify`
 * recomputes a record the way it was computed; ADR 0145):
 * - 1: the left-to-right chain `dec(v1).plus(v2).plus(…)` of the values in window order;
 * - 2: the short numbers (see `millionths`) summed exactly as integer millionths, plus the left-to-right
 *   chain of the other values (pro-rated 40-digit shares, longer numbers), added once at the end. Whole windows are
 *   then associative, so the aggregated read path may add a group of them as one SQL sum.
 */
export type Arithmetic = 1 | 2;
export const CURRENT_ARITHMETIC: Arithmetic = 2;

/**
 * A running sum under `arithmetic` (see `Arithmetic`). Version 1 keeps the sum in integer millionths while every
 * value is short — each partial sum then has at most 16 significant digits, so the 40-digit Dec chain would not have
 * rounded either — and turns it into one Dec at the first other value, adding with `Dec.plus` from then on. Version 2
 * keeps short values in integer millionths throughout (an exact Dec integer past 2^53) and chains the others apart.
 * Either way a calculation's per-window loop (thousands of windows per line and month) makes no Decimal objects for
 * whole windows.
 */
export class ExactSum {
  private units = 0;
  /** Version 2: integer millionths carried past 2^53. */
  private big: Dec | undefined;
  /** Version 1: the whole chain once a value was not short; version 2: the chain of the values that were not. */
  private exact: Dec | undefined;

  constructor(private readonly arithmetic: Arithmetic = CURRENT_ARITHMETIC) {}

  add(v: number | Dec): void {
    if (this.arithmetic === 2) {
      const n = typeof v === 'number' ? millionths(v) : undefined;
      if (n !== undefined) this.addUnits(n);
      else this.exact = this.exact === undefined ? toDec(v).plus(0) : this.exact.plus(toDec(v));
      return;
    }
    if (this.exact === undefined && typeof v === 'number') {
      const n = millionths(v);
      if (n !== undefined && Number.isSafeInteger(this.units + n)) {
        this.units += n;
        return;
      }
    }
    this.exact = this.value().plus(toDec(v));
  }

  /** Version 2: adds an integer number of millionths (a safe integer: `millionths` of a short value). */
  private addUnits(n: number): void {
    if (Number.isSafeInteger(this.units + n)) this.units += n;
    else {
      this.big = (this.big ?? new Dec(0)).plus(this.units).plus(n);
      this.units = 0;
    }
  }

  value(): Dec {
    if (this.arithmetic === 1) return this.exact ?? new Dec(`${this.units}e-6`);
    const ints = this.big === undefined ? new Dec(`${this.units}e-6`) : this.big.plus(this.units).div(1e6);
    return this.exact === undefined ? ints : ints.plus(this.exact);
  }
}

/** Sums per bucket key, in first-added order (the order bucket maps are iterated in for pricing and traces). */
export type BucketSums = Map<string, ExactSum>;

export function addToSum(
  b: BucketSums,
  key: string,
  v: number | Dec,
  arithmetic: Arithmetic = CURRENT_ARITHMETIC,
): void {
  sumOf(b, key, arithmetic).add(v);
}

/** The sum kept for `key`, created (and so ordered) on first use. */
export function sumOf(b: BucketSums, key: string, arithmetic: Arithmetic): ExactSum {
  let s = b.get(key);
  if (!s) b.set(key, (s = new ExactSum(arithmetic)));
  return s;
}

export function sumValues(b: BucketSums): Map<string, Dec> {
  const out = new Map<string, Dec>();
  for (const [key, s] of b) out.set(key, s.value());
  return out;
}
