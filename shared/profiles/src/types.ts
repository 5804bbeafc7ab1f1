import type { PointKind, Quantity } from '@pcf-edge/core';

/** Modbus data tables: coils (FC1), discrete inputs (FC2), holding registers (FC3), input registers (FC4). */
export type RegisterTable = 'coil' | 'discrete' | 'holding' | 'input';

export type RegisterType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

/**
 * Order of the bytes of a multi-register value on the wire, named by where the big-endian bytes A (most
 * significant) B C D end up. See codec.ts for the exact rule, also for 16- and 64-bit types.
 */
export type WordOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

/**
 * One value in a meter's register map. Value in the quantity's canonical unit = raw × scale + offset.
 */
export interface PointDefinition {
  /** Unique within the profile, e.g. `energyImport`, `voltageL1`. */
  name: string;
  quantity: Quantity;
  kind: PointKind;
  table: RegisterTable;
  /** 0-based protocol address (what is sent on the wire), not the vendor's 1-based register number. */
  address: number;
  type: RegisterType;
  wordOrder: WordOrder;
  scale: number;
  offset: number;
  /** Counter wrap value in the canonical unit (after scaling); default: defaultModulus(point) for unsigned ints. */
  modulus?: number;
  /** Plausibility bound for counters: the most the value can rise per hour, canonical unit. */
  maxRatePerHour?: number;
}

/** A meter model's register map: data, not code. */
export interface MeterProfile {
  name: string;
  vendor: string;
  model: string;
  description: string;
  /** Largest register count the device accepts in one FC3/FC4 request (Modbus limit 125). */
  maxRegistersPerRead?: number;
  points: PointDefinition[];
}
