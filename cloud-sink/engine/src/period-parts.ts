import type { Dec } from './decimal';
import type { FactorBook } from './factors';
import type { GasMasses } from './masses';
import type { OrderSpan } from './orders';
import type { Priced } from './pricing';
import type { EngineInput, TraceNode } from './types';

/**
 * What a period calculation knows before products are asked for: the product calculator (product.ts) reads this,
 * and `computePeriod` (calculate.ts) adds the product results on top.
 */
export interface OrderResult {
  id: string;
  product: string;
  line: string;
  site: string;
  goodInPeriod: Dec;
  scrapInPeriod: Dec;
  energy: Priced;
  overhead: Priced;
  /** Direct process emissions, kgCO2e, and as masses per gas. */
  direct: Dec;
  directGhg: GasMasses;
  estimatedKWh: Dec;
  directTrace: TraceNode[];
}

export interface LineBalance {
  line: string;
  windowMs: number;
  /** kWh (electricity + gas energy) or m³, per bucket kind, as decimal strings. */
  metered: string;
  allocated: string;
  overhead: string;
  unallocated: string;
  residual: string;
  /** Data-quality notes: windows missing from the period, windows with coverage < 1 or estimated values. */
  warnings: string[];
}

export interface PeriodParts {
  input: EngineInput;
  fromMs: number;
  toMs: number;
  book: FactorBook;
  /**
   * The results of the orders on the calculated lines, priced on first `get` (an ad-hoc product reads a few of the
   * hundreds a month of loaded lines holds); `usedEntities` prices every one first, so an audit lists them all.
   */
  orders: { get(id: string): OrderResult | undefined };
  spans: readonly OrderSpan[];
  balances: LineBalance[];
}
