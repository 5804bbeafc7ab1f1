import { PcfError } from '@pcf-edge/core';
import { bitsOf, decodeRaw, decodeRawAt, encodeRaw, intRange, isFloat, isUnsigned } from './codec';
import { decimalToNumber, divideToInteger, scaleInteger, toDecimal } from './decimal';
import type { PointDefinition } from './types';

/** Decodes one point from a reply's words: `decode(words, at)` reads the point's registers from `words[at]`. */
export type PointDecoder = (words: ArrayLike<number>, at: number) => number;

/**
 * Point value in the canonical unit = raw × scale + offset, for the point's registers starting at `words[at]`
 * (integers 0..65535, as a Modbus reply yields). Integer registers are scaled exactly: the scale is read once as
 * the decimal its shortest string names (decimal.ts); while raw × digits stays a safe integer the result is one
 * correctly rounded division (or multiplication) by an exact power of ten, else it is formed in bigint — the same
 * correctly rounded double either way, so an int64 Wh count above 2^53 still becomes kWh with one rounding. Float
 * registers are multiplied in double arithmetic; NaN and ±Infinity pass through unchanged (the caller decides
 * their quality). Build one per point and keep it: the call allocates nothing for 16- and 32-bit registers.
 */
export function pointDecoder(p: PointDefinition): PointDecoder {
  const { type, wordOrder, scale, offset } = p;
  if (isFloat(type)) {
    return (words, at) => {
      const raw = decodeRawAt(words, at, type, wordOrder) as number;
      const v = scale === 1 ? raw : raw * scale;
      return offset === 0 ? v : v + offset;
    };
  }
  const s = toDecimal(scale);
  const digits = Number(s.digits);
  const pow = 10 ** Math.abs(s.exp);
  const fast = Number.isSafeInteger(digits) && Math.abs(s.exp) <= 22; // 10^22 is the largest exact power of ten
  return (words, at) => {
    const raw = decodeRawAt(words, at, type, wordOrder);
    let v: number;
    const product = typeof raw === 'number' && fast ? raw * digits : NaN;
    if (Number.isSafeInteger(product))
      v = (s.exp < 0 ? product / pow : product * pow) + 0; // + 0: no −0
    else v = decimalToNumber({ digits: BigInt(raw) * s.digits, exp: s.exp });
    return offset === 0 ? v : v + offset;
  };
}

/** One point's value from exactly its words (checked); see pointDecoder. */
export function decodePoint(words: readonly number[], p: PointDefinition): number {
  decodeRaw(words, p.type, p.wordOrder); // checks count and range
  return pointDecoder(p)(words, 0);
}

/**
 * Inverse of decodePoint: raw = (value − offset) / scale, rounded to the nearest step of the register (half away
 * from zero) for integer types and to the nearest float32/float64 for floats. Throws ERR_CODEC when the value is
 * not finite for an integer register or does not fit the type.
 */
export function encodePoint(value: number, p: PointDefinition): number[] {
  const v = p.offset === 0 ? value : value - p.offset;
  if (isFloat(p.type)) return encodeRaw(p.scale === 1 ? v : v / p.scale, p.type, p.wordOrder);
  if (!Number.isFinite(v)) {
    throw new PcfError('ERR_CODEC', `point ${p.name}: ${value} cannot be stored in ${p.type}`, {
      point: p.name,
      value,
    });
  }
  return encodeRaw(divideToInteger(v, p.scale), p.type, p.wordOrder);
}

/**
 * The wrap value that the register type implies, in the canonical unit: 2^bits × scale for unsigned integer
 * types, undefined otherwise. Ignores `p.modulus`; the effective modulus is `p.modulus ?? defaultModulus(p)`.
 */
export function defaultModulus(p: PointDefinition): number | undefined {
  if (!isUnsigned(p.type)) return undefined;
  return scaleInteger(1n << BigInt(bitsOf(p.type)), p.scale);
}

/** `p.modulus ?? defaultModulus(p)`. */
export function effectiveModulus(p: PointDefinition): number | undefined {
  return p.modulus ?? defaultModulus(p);
}

/** Largest and smallest values an integer point can hold, canonical unit; undefined for floats. */
export function pointRange(p: PointDefinition): { min: number; max: number } | undefined {
  if (isFloat(p.type)) return undefined;
  const { min, max } = intRange(p.type);
  return { min: scaleInteger(min, p.scale) + p.offset, max: scaleInteger(max, p.scale) + p.offset };
}
