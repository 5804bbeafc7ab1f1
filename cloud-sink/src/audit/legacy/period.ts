/**
 * FROZEN — the period types of cloud-sink at cc21e43 (its engine/calculate.ts), kept only so that audit records of
 * schema pcf-edge.audit/1 still verify (ADR 0180).
 */
import type { CalcOptions, Dec, ReferenceSnapshot, TraceNode } from '@pcf-edge/pcf-engine';
import type { Arithmetic } from './exact-sum';
import type { FactorBook } from './factors';
import type { OrderSpan } from './orders';
import type { Priced } from './pricing';
import type { LegacyRollup } from './rollups';

export interface LegacyInput {
  snapshot: ReferenceSnapshot;
  lineRollups: Map<string, LegacyRollup[]>;
  siteRollups: Map<string, LegacyRollup[]>;
  options: CalcOptions;
  arithmetic: Arithmetic;
}

export interface OrderResult {
  id: string;
  product: string;
  line: string;
  site: string;
  goodInPeriod: Dec;
  scrapInPeriod: Dec;
  energy: Priced;
  overhead: Priced;
  direct: Dec;
  estimatedKWh: Dec;
  directTrace: TraceNode[];
}

export interface LineBalance {
  line: string;
  windowMs: number;
  metered: string;
  allocated: string;
  overhead: string;
  unallocated: string;
  residual: string;
  rollups: { id: string; revision: number }[];
  warnings: string[];
}

export interface PeriodParts {
  input: LegacyInput;
  fromMs: number;
  toMs: number;
  book: FactorBook;
  orders: { get(id: string): OrderResult | undefined };
  spans: readonly OrderSpan[];
  balances: LineBalance[];
}
