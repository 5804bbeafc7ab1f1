import type { CalcOptions } from './options';
import type { ReferenceIndex } from './reference-index';
import { unitsFor } from './unit-tables';

/**
 * Where a line's (or a site's) whole windows may be summed before the engine reads them: between consecutive
 * `breakpoints` — the period's ends, the line's order starts and ends, every validity bound of an electricity mapping
 * or a natural-gas factor — the energy of a window that lies wholly inside one segment goes one way (to the one order
 * covering the segment, or idle) under one factor, so `allocateLine` takes a sum of such windows exactly as it takes
 * them one by one. Segments covered by several orders (`shared`) are read window by window, as are windows that
 * straddle a breakpoint.
 */
export interface SummableSegments {
  /** Sorted and distinct; the first is the period's start, the last its end. */
  breakpoints: number[];
  /** Segments [a, b) between consecutive breakpoints that several orders cover. */
  shared: [number, number][];
}

/** The summable segments of `line`'s windows (a site's baseload windows when `line` is undefined) in a period. */
export function summableSegments(index: ReferenceIndex, options: CalcOptions, line?: string): SummableSegments {
  const fromMs = Date.parse(options.periodStart),
    toMs = Date.parse(options.periodEnd);
  const spans =
    line === undefined
      ? []
      : index.periodOrders(fromMs, toMs, options.shareKey, unitsFor(options)).spans.filter((o) => o.line === line);
  const breakpoints = [
    ...new Set([
      fromMs,
      toMs,
      ...spans.flatMap((o) => [o.startMs, o.endMs]),
      ...index.factorBounds().filter((b) => b > fromMs && b < toMs),
    ]),
  ].sort((a, b) => a - b);
  const shared: [number, number][] = [];
  for (let i = 0; i + 1 < breakpoints.length; i++) {
    const a = breakpoints[i]!,
      b = breakpoints[i + 1]!;
    if (spans.filter((o) => o.startMs <= a && o.endMs >= b).length > 1) shared.push([a, b]);
  }
  return { breakpoints, shared };
}
