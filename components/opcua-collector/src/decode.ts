import { DataType, VariantArrayType, type DataValue, type StatusCode, type Variant } from 'node-opcua-client';
import type { Quality } from '@pcf-edge/core';

/**
 * Turning an OPC UA DataValue into a reading's value and quality.
 *
 * - StatusCode severity (top two bits): Good → `good`; Uncertain → `uncertain` with the status name as reason
 *   (value kept); Bad → `bad` with the status name as reason and value null.
 * - Numbers: every integer and float type; Boolean as 0/1. Anything else (string, array, null) is `bad` with an
 *   `ERR_DECODE` reason; so is NaN or ±Infinity.
 * - UInt64/Int64 arrive from node-opcua as `[high, low]` pairs of unsigned 32-bit words. They are combined with
 *   BigInt, so the result is exact. A magnitude above 2^53 cannot be a JS number exactly: the nearest double is
 *   kept with quality `uncertain` and reason `inexact: …` (see docs/adr/0060).
 * - Scale: `value × scale`, except that a scale of exactly 1/n for an integer n (0.001, 0.1, …) divides by n,
 *   which is correctly rounded where multiplying by the inexact binary 0.001 is not.
 */
export interface Decoded {
  value: number | null;
  quality: Quality;
  reason?: string;
}

const TWO_53 = 2n ** 53n;

export function qualityOf(status: StatusCode): Quality {
  const severity = status.value >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

/** Exact value of a node-opcua 64-bit pair as BigInt. */
export function int64PairToBigInt(pair: readonly [number, number], signed: boolean): bigint {
  const v = (BigInt(pair[0] >>> 0) << 32n) | BigInt(pair[1] >>> 0);
  return signed && pair[0] >>> 0 >= 0x80000000 ? v - 2n ** 64n : v;
}

export function applyScale(raw: number, scale: number): number {
  if (scale === 1) return raw;
  const inverse = Math.round(1 / scale);
  if (Math.abs(scale) < 1 && inverse !== 0 && 1 / inverse === scale) return raw / inverse;
  return raw * scale;
}

type Raw = { value: number } | { error: string; inexact?: number };

const NUMERIC = new Set<DataType>([
  DataType.SByte,
  DataType.Byte,
  DataType.Int16,
  DataType.UInt16,
  DataType.Int32,
  DataType.UInt32,
  DataType.Float,
  DataType.Double,
]);

function rawInt64(variant: Variant): Raw {
  const v: unknown = variant.value;
  const name = DataType[variant.dataType];
  if (!Array.isArray(v) || v.length !== 2) return { error: `ERR_DECODE: ${name} without a [high, low] pair` };
  const big = int64PairToBigInt(v as [number, number], variant.dataType === DataType.Int64);
  const n = Number(big);
  if (big > TWO_53 || big < -TWO_53)
    return { error: `inexact: ${name} ${big} exceeds 2^53; nearest double kept`, inexact: n };
  return { value: n };
}

function rawNumber(variant: Variant): Raw {
  const v: unknown = variant.value;
  const name = DataType[variant.dataType] ?? String(variant.dataType);
  if (variant.dataType === DataType.UInt64 || variant.dataType === DataType.Int64) return rawInt64(variant);
  if (variant.dataType === DataType.Boolean) {
    return typeof v === 'boolean' ? { value: v ? 1 : 0 } : { error: 'ERR_DECODE: Boolean without a boolean value' };
  }
  if (!NUMERIC.has(variant.dataType)) return { error: `ERR_DECODE: unsupported data type ${name}` };
  if (typeof v !== 'number') return { error: `ERR_DECODE: ${name} without a number` };
  if (!Number.isFinite(v)) return { error: `ERR_DECODE: non-finite value ${String(v)}` };
  return { value: v };
}

export function decodeDataValue(dv: DataValue, scale: number): Decoded {
  const quality = qualityOf(dv.statusCode);
  if (quality === 'bad') return { value: null, quality, reason: dv.statusCode.name };
  if (dv.value.arrayType !== VariantArrayType.Scalar) {
    return { value: null, quality: 'bad', reason: 'ERR_DECODE: arrays are not supported' };
  }
  const raw = rawNumber(dv.value);
  if ('error' in raw) {
    if (raw.inexact !== undefined)
      return { value: applyScale(raw.inexact, scale), quality: 'uncertain', reason: raw.error };
    return { value: null, quality: 'bad', reason: raw.error };
  }
  const value = applyScale(raw.value, scale);
  return quality === 'good' ? { value, quality } : { value, quality, reason: dv.statusCode.name };
}
