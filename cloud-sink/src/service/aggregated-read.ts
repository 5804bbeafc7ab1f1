import type { OrderSpan } from '@pcf-edge/pcf-engine';
import type { AggregatedWindows, WindowGroup } from '@pcf-edge/pcf-engine';
import type { StoredRollup } from '../store/repository';
import type { WindowAggregates, WindowQuery, WindowSelector } from '../store/window-sums';

/**
 * The aggregated read of an ad-hoc calculation (ADR 0145). Between consecutive breakpoints — the period's ends, the
 * line's order starts and ends, every validity bound of an electricity mapping or a natural-gas factor — an interval
 * covered by at most one order holds windows whose energy all goes one way (to that order, or idle) under one
 * factor: those windows are read as one SQL sum. Only the windows that straddle a breakpoint, or lie where orders
 * overlap, are read as rows. With arithmetic 2 (integer millionths for whole windows) the result is identical to
 * reading every row; the differential test (aggregated-read.test.ts) holds the two paths to that.
 */

/** Sorted, merged copies of inclusive ranges (adjacent ones joined). */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [lo, hi] of [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export interface AggregatedRead {
  windows: AggregatedWindows;
  anyRollup: boolean;
}

/**
 * One line's (or site's) windows in [fromMs, toMs) as groups and rows in start order, or undefined when rows must
 * decide: a summed value that is not short, a sum past 2^53, rows of several sites in one interval, or a row starting
 * inside a group's span (windows that are not aligned). `spans` are the line's orders in the period (none for a site).
 */
export async function readAggregated(
  agg: WindowAggregates,
  q: WindowSelector,
  forcedWindowMs: number | undefined,
  fromMs: number,
  toMs: number,
  spans: readonly OrderSpan[],
  bounds: readonly number[],
): Promise<AggregatedRead | undefined> {
  const shortest = await agg.shortestWindowMs(q, fromMs, toMs);
  const windowMs = forcedWindowMs ?? shortest;
  if (windowMs === undefined || shortest === undefined)
    return { windows: { aggregated: true, windowMs, items: [] }, anyRollup: false };
  const wq: WindowQuery = { ...q, windowMs };
  const points = [
    ...new Set([
      fromMs,
      toMs,
      ...spans.flatMap((o) => [o.startMs, o.endMs]),
      ...bounds.filter((b) => b > fromMs && b < toMs),
    ]),
  ].sort((a, b) => a - b);
  const groupIntervals: [number, number][] = [];
  // windows straddling a breakpoint start in (p - w, p); where orders overlap, every window is read
  const rowRanges: [number, number][] = points.map((p) => [p - windowMs + 1, p - 1]);
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!,
      b = points[i + 1]!;
    const covering = spans.filter((o) => o.startMs <= a && o.endMs >= b).length;
    if (covering <= 1) groupIntervals.push([a, b]);
    else rowRanges.push([a - windowMs + 1, b - 1]);
  }
  const sums = groupIntervals.length > 0 ? await agg.sums(wq, groupIntervals) : [];
  if (sums.some((s) => !s.usable)) return undefined;
  const ranges = mergeRanges(rowRanges);
  const rows = ranges.length > 0 ? await agg.rowsStartingIn(wq, ranges) : [];
  const groups = sums.map((s) => s.group).sort((x, y) => x.windowStartMs - y.windowStartMs);
  const items: (StoredRollup | WindowGroup)[] = [];
  let i = 0;
  for (const g of groups) {
    while (i < rows.length && rows[i]!.windowStartMs < g.windowStartMs) items.push(rows[i++]!);
    if (i < rows.length && rows[i]!.windowStartMs <= g.lastStartMs) return undefined;
    items.push(g);
  }
  while (i < rows.length) items.push(rows[i++]!);
  return { windows: { aggregated: true, windowMs, items }, anyRollup: shortest !== undefined };
}
