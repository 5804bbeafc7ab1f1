import { PcfError } from '@pcf-edge/core';
import { bitsOf, decodeRaw, encodeRaw, intRange, isFloat, isUnsigned } from './codec';
import { divideToInteger, scaleInteger } from './decimal';
import type { PointDefinition } from './types';

/**
 * Point value in the canonical unit = raw × scale + offset.
 * Integer registers are scaled exactly (see decimal.ts), so an int64 Wh count above 2^53 is converted to kWh
 * with a single correct rounding. Float registers are multiplied in double arithmetic; NaN and ±Infinity pass
 * through unchanged (the caller decides their quality).
 */
export function decodePoint(words: readonly number[], p: PointDefinition): number {
  const raw = decodeRaw(words, p.type, p.wordOrder);
  if (typeof raw === 'number' && isFloat(p.type)) {
    const v = p.scale === 1 ? raw : raw * p.scale;
    return p.offset === 0 ? v : v + p.offset;
  }
  const v = scaleInteger(BigInt(raw), p.scale);
  return p.offset === 0 ? v : v + p.offset;
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
