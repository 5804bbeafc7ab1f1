import { PcfError } from '@pcf-edge/core';
import type { RegisterType, WordOrder } from './types';

/**
 * Raw register codec. The canonical (ABCD) form of an n-register value is its big-endian byte string
 * b0 b1 … b(2n−1) split into words w0 = b0b1, w1 = b2b3, … (w0 most significant): the Modbus standard.
 * The other orders permute those words and bytes, for every width:
 *   ABCD: words w0…w(n−1) as they are;
 *   CDAB: word order reversed, bytes inside each word kept (32-bit: [w1, w0]; 64-bit: [w3, w2, w1, w0]);
 *   BADC: word order kept, the two bytes inside each word swapped;
 *   DCBA: word order reversed and bytes swapped, i.e. the whole value little-endian.
 * For one-register types CDAB ≡ ABCD and DCBA ≡ BADC.
 */

const COUNTS: Record<RegisterType, 1 | 2 | 4> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  int64: 4,
  uint64: 4,
  float32: 2,
  float64: 4,
};

export function registerCount(type: RegisterType): number {
  return COUNTS[type];
}

export function is64BitInt(type: RegisterType): type is 'int64' | 'uint64' {
  return type === 'int64' || type === 'uint64';
}

export function isFloat(type: RegisterType): type is 'float32' | 'float64' {
  return type === 'float32' || type === 'float64';
}

export function isUnsigned(type: RegisterType): type is 'uint16' | 'uint32' | 'uint64' {
  return type === 'uint16' || type === 'uint32' || type === 'uint64';
}

/** Bit width of an integer type. */
export function bitsOf(type: RegisterType): number {
  return COUNTS[type] * 16;
}

/** Inclusive integer range of an integer type, as bigint. */
export function intRange(type: RegisterType): { min: bigint; max: bigint } {
  const bits = BigInt(bitsOf(type));
  return isUnsigned(type)
    ? { min: 0n, max: (1n << bits) - 1n }
    : { min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n };
}

function swapBytes(w: number): number {
  return ((w & 0xff) << 8) | ((w >> 8) & 0xff);
}

/** Applies `order` to canonical words (or undoes it: every order is its own inverse). */
function permute(words: readonly number[], order: WordOrder): number[] {
  switch (order) {
    case 'ABCD':
      return [...words];
    case 'CDAB':
      return [...words].reverse();
    case 'BADC':
      return words.map(swapBytes);
    case 'DCBA':
      return [...words].reverse().map(swapBytes);
  }
}

function codecError(message: string, details: Record<string, unknown>): PcfError {
  return new PcfError('ERR_CODEC', message, details);
}

/** Scratch bytes for assembling a value; every decode writes all it reads first (JavaScript runs one at a time). */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * The raw value of the `type` register(s) starting at `words[at]`, in `order`: bigint for int64/uint64, number
 * otherwise. No checks and no allocation (bar the bigint): the words must be integers 0..65535, as a Modbus reply
 * yields. `decodeRaw` is the checked form.
 */
export function decodeRawAt(
  words: ArrayLike<number>,
  at: number,
  type: RegisterType,
  order: WordOrder,
): number | bigint {
  const n = COUNTS[type];
  const reverse = order === 'CDAB' || order === 'DCBA';
  const swap = order === 'BADC' || order === 'DCBA';
  for (let i = 0; i < n; i++) {
    const w = words[at + (reverse ? n - 1 - i : i)] as number;
    scratch.setUint16(i * 2, swap ? swapBytes(w) : w, false);
  }
  switch (type) {
    case 'int16':
      return scratch.getInt16(0, false);
    case 'uint16':
      return scratch.getUint16(0, false);
    case 'int32':
      return scratch.getInt32(0, false);
    case 'uint32':
      return scratch.getUint32(0, false);
    case 'int64':
      return scratch.getBigInt64(0, false);
    case 'uint64':
      return scratch.getBigUint64(0, false);
    case 'float32':
      return scratch.getFloat32(0, false);
    case 'float64':
      return scratch.getFloat64(0, false);
  }
}

/** Decodes register words (each 0..65535) into the raw value: bigint for int64/uint64, number otherwise. */
export function decodeRaw(words: readonly number[], type: RegisterType, order: WordOrder): number | bigint {
  const n = COUNTS[type];
  if (words.length !== n)
    throw codecError(`${type} needs ${n} register(s), got ${words.length}`, { type, count: words.length });
  for (const w of words) {
    if (!Number.isInteger(w) || w < 0 || w > 0xffff)
      throw codecError(`register word out of range 0..65535: ${String(w)}`, { type, word: w });
  }
  return decodeRawAt(words, 0, type, order);
}

function toIntegerRaw(raw: number | bigint, type: RegisterType): bigint {
  if (typeof raw === 'number' && !Number.isInteger(raw))
    throw codecError(`${type} needs an integer, got ${raw}`, { type, raw });
  const v = BigInt(raw);
  const { min, max } = intRange(type);
  if (v < min || v > max)
    throw codecError(`${String(raw)} is out of range for ${type} (${min}..${max})`, { type, raw: String(raw) });
  return v;
}

function toFloatRaw(raw: number | bigint, type: 'float32' | 'float64'): number {
  const v = Number(raw);
  if (type === 'float32' && Number.isFinite(v) && !Number.isFinite(Math.fround(v))) {
    throw codecError(`${v} is out of range for float32`, { type, raw: v });
  }
  return v;
}

/** Encodes a raw value into register words in `order`. Throws ERR_CODEC when it does not fit the type. */
export function encodeRaw(raw: number | bigint, type: RegisterType, order: WordOrder): number[] {
  const n = COUNTS[type];
  const view = new DataView(new ArrayBuffer(n * 2));
  switch (type) {
    case 'int16':
      view.setInt16(0, Number(toIntegerRaw(raw, type)), false);
      break;
    case 'uint16':
      view.setUint16(0, Number(toIntegerRaw(raw, type)), false);
      break;
    case 'int32':
      view.setInt32(0, Number(toIntegerRaw(raw, type)), false);
      break;
    case 'uint32':
      view.setUint32(0, Number(toIntegerRaw(raw, type)), false);
      break;
    case 'int64':
      view.setBigInt64(0, toIntegerRaw(raw, type), false);
      break;
    case 'uint64':
      view.setBigUint64(0, toIntegerRaw(raw, type), false);
      break;
    case 'float32':
      view.setFloat32(0, toFloatRaw(raw, type), false);
      break;
    case 'float64':
      view.setFloat64(0, toFloatRaw(raw, type), false);
      break;
  }
  const words: number[] = [];
  for (let i = 0; i < n; i++) words.push(view.getUint16(i * 2, false));
  return permute(words, order);
}
