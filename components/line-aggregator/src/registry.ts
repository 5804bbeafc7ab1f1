import { rollupId, type LineRollup, type MeterCounterRollup } from '@pcf-edge/core';
import type { BatchOverlay } from './batch';
import type { AggregatorConfig } from './config';
import { meterRollupId } from './rollups/meter-rollups';
import { buildLineRollup, buildSiteRollup } from './rollups/line-rollups';
import { TOTAL_QUANTITIES, type PointRecord } from './points';

const lineId = (site: string, line: string, windowMs: number, start: number): string =>
  rollupId({ type: 'line', site, line, windowMs, windowStartMs: start });
const siteId = (site: string, windowMs: number, start: number): string =>
  rollupId({ type: 'site', site, windowMs, windowStartMs: start });

/**
 * The known points, an index of their open windows, and the derivation of line and site rollups.
 * A counter point feeds its line's totals when its meter's role is `lineTotal`, the site's baseload when
 * `baseload`; `subMeter` and unconfigured meters, and a profile's twin register of a quantity (`twinOf`), are
 * written per meter only.
 */
export class PointRegistry {
  private readonly points = new Map<string, PointRecord>();
  /** The same points by meter id, then point name: found without building the key per reading. */
  private readonly byMeter = new Map<string, Map<string, PointRecord>>();
  /** window length → window start → points with an open accumulator there. */
  private readonly openIndex = new Map<number, Map<number, Set<PointRecord>>>();
  /** Windows whose meter rollups the current reading revised: `${windowMs}|${start}` → lines touched. */
  private revised = new Map<string, Set<string>>();

  constructor(
    private readonly config: Readonly<AggregatorConfig>,
    points: PointRecord[],
  ) {
    for (const p of points) {
      this.add(p);
      for (const [w, byStart] of p.open) for (const start of byStart.keys()) this.indexOpen(p, w, start);
    }
  }

  get(key: string): PointRecord | undefined {
    return this.points.get(key);
  }

  find(meterId: string, point: string): PointRecord | undefined {
    return this.byMeter.get(meterId)?.get(point);
  }

  add(p: PointRecord): void {
    this.points.set(p.key, p);
    let byPoint = this.byMeter.get(p.info.meterId);
    if (!byPoint) this.byMeter.set(p.info.meterId, (byPoint = new Map()));
    byPoint.set(p.info.point, p);
  }

  all(): IterableIterator<PointRecord> {
    return this.points.values();
  }

  indexOpen(p: PointRecord, windowMs: number, start: number): void {
    let byStart = this.openIndex.get(windowMs);
    if (!byStart) this.openIndex.set(windowMs, (byStart = new Map()));
    let set = byStart.get(start);
    if (!set) byStart.set(start, (set = new Set()));
    set.add(p);
  }

  earliestOpen(windowMs: number): number | null {
    let min: number | null = null;
    for (const start of this.openIndex.get(windowMs)?.keys() ?? []) if (min === null || start < min) min = start;
    return min;
  }

  /** Removes and returns the points with an open accumulator at (windowMs, start), in key order (deterministic). */
  takeOpen(windowMs: number, start: number): PointRecord[] {
    const byStart = this.openIndex.get(windowMs);
    const set = byStart?.get(start);
    byStart?.delete(start);
    return set ? [...set].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) : [];
  }

  private feeds(p: PointRecord, role: 'lineTotal' | 'baseload'): boolean {
    return (
      p.info.kind === 'counter' &&
      p.info.settings.role === role &&
      p.info.settings.twinOf === undefined &&
      TOTAL_QUANTITIES.has(p.info.quantity)
    );
  }

  private lineTotalPoints(line: string): PointRecord[] {
    return [...this.points.values()].filter((p) => p.info.line === line && this.feeds(p, 'lineTotal'));
  }

  private lines(): string[] {
    const set = new Set<string>();
    for (const p of this.points.values())
      if (p.info.settings.role === 'lineTotal' || p.info.settings.role === 'subMeter') set.add(p.info.line);
    return [...set].sort();
  }

  private baseloadPoints(): PointRecord[] {
    return [...this.points.values()].filter((p) => this.feeds(p, 'baseload'));
  }

  /** Line and site rollups (revision 1) for a window just written from open accumulators. */
  writeTotals(out: BatchOverlay, windowMs: number, start: number, written: MeterCounterRollup[]): void {
    const site = this.config.site;
    const roleOf = new Map<string, PointRecord>();
    for (const r of written) roleOf.set(r.id, this.points.get(`${r.meterId}\u001f${r.point}`)!);
    const byLine = new Map<string, MeterCounterRollup[]>();
    const baseload: MeterCounterRollup[] = [];
    for (const r of written) {
      const p = roleOf.get(r.id)!;
      const role = p.info.settings.role;
      if (role === 'lineTotal' || role === 'subMeter') {
        let list = byLine.get(r.line);
        if (!list) byLine.set(r.line, (list = []));
        if (this.feeds(p, 'lineTotal')) list.push(r);
      } else if (this.feeds(p, 'baseload')) {
        baseload.push(r);
      }
    }
    const lines: LineRollup[] = [];
    for (const [line, counters] of [...byLine].sort((a, b) => a[0].localeCompare(b[0]))) {
      const l = buildLineRollup(site, line, windowMs, start, counters, this.lineTotalPoints(line).length, 1);
      out.put(l);
      lines.push(l);
    }
    if (lines.length > 0 || baseload.length > 0) {
      out.put(buildSiteRollup(site, windowMs, start, lines, baseload, this.baseloadPoints().length, 1));
    }
  }

  /** Remembers that the current reading revised a written meter window of `p`. */
  markRevised(p: PointRecord, windowMs: number, start: number): void {
    const role = p.info.settings.role;
    if (role === null || p.info.kind !== 'counter') return;
    const key = `${windowMs}|${start}`;
    let lines = this.revised.get(key);
    if (!lines) this.revised.set(key, (lines = new Set()));
    if (role !== 'baseload') lines.add(p.info.line);
  }

  /** Re-derives line and site rollups of the windows the current reading revised (one revision each). */
  rederive(out: BatchOverlay): void {
    if (this.revised.size === 0) return;
    const site = this.config.site;
    for (const [key, touched] of this.revised) {
      const [windowMs, start] = key.split('|').map(Number) as [number, number];
      const get = (p: PointRecord): MeterCounterRollup | undefined =>
        out.get(meterRollupId(p.info, windowMs, start)) as MeterCounterRollup | undefined;
      for (const line of touched) {
        const pts = this.lineTotalPoints(line);
        const counters = pts.map(get).filter((r): r is MeterCounterRollup => r !== undefined);
        const id = lineId(site, line, windowMs, start);
        out.put(buildLineRollup(site, line, windowMs, start, counters, pts.length, out.nextRevision(id)));
      }
      const lines = this.lines()
        .map((l) => out.get(lineId(site, l, windowMs, start)) as LineRollup | undefined)
        .filter((r): r is LineRollup => r !== undefined);
      const base = this.baseloadPoints();
      const baseload = base.map(get).filter((r): r is MeterCounterRollup => r !== undefined);
      const id = siteId(site, windowMs, start);
      out.put(buildSiteRollup(site, windowMs, start, lines, baseload, base.length, out.nextRevision(id)));
    }
    this.revised = new Map();
  }
}
