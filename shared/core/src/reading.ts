import type { CanonicalUnit, PointKind, Quantity } from './quantities';

export type Quality = 'good' | 'uncertain' | 'bad';

/**
 * One value as a collector read it, already in the quantity's canonical unit.
 * A value that could not be read is stored with quality `bad`, a reason and `value: null` — never invented.
 * Timestamps are epoch milliseconds (UTC).
 */
export interface Reading {
  site: string;
  line: string;
  meterId: string;
  point: string;
  quantity: Quantity;
  kind: PointKind;
  value: number | null;
  unit: CanonicalUnit;
  /** When the device says the value was measured (OPC UA SourceTimestamp); null when the device does not say. */
  sourceTs: number | null;
  /** When the response arrived at the collector. */
  readTs: number;
  quality: Quality;
  qualityReason?: string;
  /** Meter identity (serial number) when the device exposes one; a change means the meter was replaced. */
  meterSerial?: string;
}
