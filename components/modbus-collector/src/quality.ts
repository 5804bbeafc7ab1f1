import type { Quality } from '@pcf-edge/core';
import {
  decodeRawAt,
  intRange,
  is64BitInt,
  isFloat,
  isUnsigned,
  pointDecoder,
  type PointDecoder,
} from '@pcf-edge/profiles';
import type { ResolvedPoint } from './config';
import type { ReadData } from './link';
import type { PlannedPoint } from './planner';

export interface Assessed {
  value: number | null;
  quality: Quality;
  qualityReason?: string;
}

/** How one point is read from a reply: built once per point (pointReader) and kept by its poller. */
export interface PointReader {
  decode: PointDecoder;
  /**
   * SunSpec-style "not available" marker that meters send instead of a value, as a raw value: the most negative
   * value of a signed integer register (0x8000, 0x8000 0000, …) and, for unsigned gauges, the largest (0xFFFF, …).
   * An unsigned counter's largest value is a real reading on its way to wrapping, so it has none; floats neither.
   */
  marker: number | bigint | undefined;
}

export function pointReader(p: ResolvedPoint): PointReader {
  let marker: number | bigint | undefined;
  if (!isFloat(p.type) && !(isUnsigned(p.type) && p.kind === 'counter')) {
    const { min, max } = intRange(p.type);
    const m = isUnsigned(p.type) ? max : min;
    marker = is64BitInt(p.type) ? m : Number(m);
  }
  return { decode: pointDecoder(p), marker };
}

/**
 * The reading's value and quality for one point of a successful response. `lateMs` > 0 (round trip minus poll
 * interval) marks a stale reply.
 */
export function assess(planned: PlannedPoint, data: ReadData, lateMs: number, reader: PointReader): Assessed {
  const p = planned.point;
  let value: number;
  try {
    if (p.table === 'coil' || p.table === 'discrete') {
      const bit = data[planned.offset];
      if (typeof bit !== 'boolean') throw new Error(`bit ${planned.offset} missing from the reply`);
      value = (bit ? 1 : 0) * p.scale + p.offset;
    } else {
      const words = data as number[];
      if (planned.offset + planned.length > words.length)
        throw new Error(`registers ${planned.offset}..${planned.offset + planned.length - 1} missing from the reply`);
      if (reader.marker !== undefined && decodeRawAt(words, planned.offset, p.type, p.wordOrder) === reader.marker)
        return { value: null, quality: 'bad', qualityReason: 'not available (marker value)' };
      value = reader.decode(words, planned.offset);
    }
  } catch (err) {
    return { value: null, quality: 'bad', qualityReason: `decode error: ${(err as Error).message}` };
  }
  if (Number.isNaN(value)) return { value: null, quality: 'bad', qualityReason: 'NaN' };
  if (!Number.isFinite(value))
    return { value: null, quality: 'bad', qualityReason: value > 0 ? 'Infinity' : '-Infinity' };
  const min = p.minValue ?? (p.kind === 'counter' ? 0 : undefined);
  if ((min !== undefined && value < min) || (p.maxValue !== undefined && value > p.maxValue)) {
    return { value, quality: 'uncertain', qualityReason: `out of range [${min ?? '-inf'}, ${p.maxValue ?? 'inf'}]` };
  }
  if (lateMs > 0)
    return {
      value,
      quality: 'uncertain',
      qualityReason: `stale: reply took ${Math.round(lateMs)} ms longer than the poll interval`,
    };
  return { value, quality: 'good' };
}
