import { windowStartOf, type Reading } from '@pcf-edge/core';
import type { CompactReading } from '@pcf-edge/store';
import { addUnique, allocateSegment, bookShare, emptyCounterAcc, type CounterWindowAcc } from './counter/allocate';
import { advanceCounter, EMPTY_COUNTER_STATE, plausibleBound, type Segment } from './counter/counter-engine';
import { advanceGauge, EMPTY_GAUGE_STATE, type AcceptedGauge } from './gauge/gauge-filter';
import type { CalorificSchedule } from './gas/calorific';
import type { BatchOverlay } from './batch';
import type { AggregatorConfig } from './config';
import type { PointSettings } from './point-settings';
import {
  bookGauge,
  counterAccOf,
  counterRollup,
  emptyGaugeAcc,
  gaugeAccOf,
  gaugeRollup,
  meterRollupId,
  type GaugeWindowAcc,
  type PointInfo,
} from './rollups/meter-rollups';
import { pointKey, type PointRecord, type WindowAcc } from './points';
import { PointRegistry } from './registry';
import type { MeterCounterRollup, MeterGaugeRollup } from '@pcf-edge/core';

const countReading = (acc: CounterWindowAcc): void => {
  acc.readingCount += 1;
};

/** Reading-time progress, persisted with the cursor. */
export interface Progress {
  /** seq of the last reading applied. */
  cursor: number;
  /** Highest readTs applied (epoch ms): "reading time". */
  watermark: number;
  /** Per window length: start of the next window to write; every earlier window has been written. */
  nextClose: Record<string, number>;
}

export const EMPTY_PROGRESS: Progress = { cursor: 0, watermark: -Infinity, nextClose: {} };

export interface EngineDeps {
  config: Readonly<AggregatorConfig>;
  windowsMs: number[];
  calorific: CalorificSchedule;
  settingsOf: (meterId: string, point: string) => PointSettings;
  /** The meter's line from the site model; undefined: the line its first good reading carries. */
  lineOf: (meterId: string) => string | undefined;
}

/**
 * Applies readings one at a time (in seq order) to the points' counter and gauge state, books consumption into
 * open windows, writes windows when reading time passes their end + closeLagMs, and revises written windows when
 * late consumption reaches them. All output goes to a BatchOverlay; the caller commits it with the new state.
 */
export class AggregationEngine {
  readonly registry: PointRegistry;
  progress: Progress;
  /** Late gauge values dropped because their window was older than the grace period. */
  droppedLateGauge = 0;
  private out!: BatchOverlay;
  /** progress.nextClose by window index (deps.windowsMs order), for the per-reading path; NaN until initialised. */
  private readonly nextCloseAt: number[];
  private windowsInitialised = false;

  constructor(
    private readonly deps: EngineDeps,
    points: PointRecord[],
    progress: Progress,
  ) {
    this.registry = new PointRegistry(deps.config, points);
    this.progress = { ...progress, nextClose: { ...progress.nextClose } };
    this.nextCloseAt = deps.windowsMs.map((w) => this.progress.nextClose[w] ?? NaN);
  }

  apply(r: Reading & { seq: number }, out: BatchOverlay): void {
    const good = r.quality === 'good' && r.value !== null && Number.isFinite(r.value);
    const p = good ? this.pointFor(r) : this.registry.find(r.meterId, r.point);
    this.step(p, r.seq, r.sourceTs ?? r.readTs, r.readTs, good, r.value ?? NaN, r.meterSerial ?? null, out);
  }

  /**
   * The same as `apply` for a reading in the store's compact form (`readingRowsAfter`); `readingAt(seq)` supplies the
   * whole reading when it is the first good one of a point not known yet (its line, quantity, kind and unit).
   */
  applyRow(row: CompactReading, out: BatchOverlay, readingAt: (seq: number) => Reading & { seq: number }): void {
    const [seq, meterId, point, value, sourceTs, readTs, quality, serial] = row;
    const good = quality === 1 && value !== null && Number.isFinite(value);
    let p = this.registry.find(meterId, point);
    if (p === undefined && good) p = this.pointFor(readingAt(seq));
    this.step(p, seq, sourceTs ?? readTs, readTs, good, value ?? NaN, serial, out);
  }

  private step(
    p: PointRecord | undefined,
    seq: number,
    ts: number,
    readTs: number,
    good: boolean,
    value: number,
    serial: string | null,
    out: BatchOverlay,
  ): void {
    this.out = out;
    out.beginReading();
    if (!this.windowsInitialised) this.initWindows(ts);
    if (p && good) {
      if (p.info.kind === 'counter') this.applyCounter(p, ts, value, serial);
      else this.applyGauge(p, ts, value);
      p.dirty = true;
    } else if (p) {
      this.flagOpen(p, ts, 'bad');
    }
    this.progress.cursor = seq;
    if (readTs > this.progress.watermark) this.progress.watermark = readTs;
    this.closeDue();
    this.registry.rederive(out);
  }

  private initWindows(ts: number): void {
    this.deps.windowsMs.forEach((w, i) => this.setNextClose(i, w, this.progress.nextClose[w] ?? windowStartOf(ts, w)));
    this.windowsInitialised = true;
  }

  private setNextClose(i: number, windowMs: number, start: number): void {
    this.progress.nextClose[windowMs] = start;
    this.nextCloseAt[i] = start;
  }

  private pointFor(r: Reading): PointRecord {
    const key = pointKey(r.meterId, r.point);
    const existing = this.registry.get(key);
    if (existing) return existing;
    const info: PointInfo = {
      site: this.deps.config.site,
      line: this.deps.lineOf(r.meterId) ?? r.line,
      meterId: r.meterId,
      point: r.point,
      quantity: r.quantity,
      kind: r.kind,
      unit: r.unit,
      settings: this.deps.settingsOf(r.meterId, r.point),
    };
    const p: PointRecord = { key, info, counter: null, gauge: null, open: new Map(), dirty: true, hot: [] };
    this.registry.add(p);
    return p;
  }

  private isOpen(windowMs: number, start: number): boolean {
    return start >= (this.progress.nextClose[windowMs] ?? -Infinity);
  }

  private openAcc<T extends WindowAcc>(p: PointRecord, windowMs: number, start: number, make: (s: number) => T): T {
    let byStart = p.open.get(windowMs);
    if (!byStart) p.open.set(windowMs, (byStart = new Map()));
    let acc = byStart.get(start) as T | undefined;
    if (!acc) {
      byStart.set(start, (acc = make(start)));
      this.registry.indexOpen(p, windowMs, start);
    }
    return acc;
  }

  /** The open accumulator of `p` at (window index i, start), remembered per window index. */
  private openCounterAcc(p: PointRecord, i: number, start: number): CounterWindowAcc {
    let acc = p.hot[i] as CounterWindowAcc | undefined;
    // A remembered accumulator stays p.open's while its window is open: windows close for good, and only closing
    // removes an accumulator from p.open.
    if (acc === undefined || acc.start !== start)
      p.hot[i] = acc = this.openAcc(p, this.deps.windowsMs[i]!, start, emptyCounterAcc);
    return acc;
  }

  // ---- counters ----

  private applyCounter(p: PointRecord, ts: number, value: number, serial: string | null): void {
    const c = p.counter;
    const a = c === null || c.pending !== null ? null : c.anchor;
    if (a !== null && Number.isFinite(ts)) {
      // Fast path for the common step, exactly advanceCounter's: later than the anchor, same meter, rising
      // plausibly, no gap.
      const s = p.info.settings.counter;
      const dt = ts - a.ts;
      const d = value - a.value;
      if (
        dt > 0 &&
        dt <= s.maxGapMs &&
        d >= 0 &&
        d <= plausibleBound(dt, s) &&
        (a.serial === null || serial === null || a.serial === serial)
      ) {
        p.counter = { anchor: { ts, value, serial }, pending: null, prev: a };
        this.bookMeasured(p, a.ts, ts, d);
        return;
      }
    }
    const step = advanceCounter(p.counter ?? EMPTY_COUNTER_STATE, { ts, value, serial }, p.info.settings.counter);
    p.counter = step.state;
    for (const e of step.events) {
      this.out.events.push({
        ts: e.ts,
        site: p.info.site,
        line: p.info.line,
        meterId: p.info.meterId,
        point: p.info.point,
        kind: e.kind,
        detail: e.detail,
      });
    }
    for (const seg of step.segments) this.bookSegment(p, seg);
    if (!step.late) {
      for (const w of this.deps.windowsMs) {
        const start = windowStartOf(ts, w);
        if (this.isOpen(w, start)) this.openAcc(p, w, start, emptyCounterAcc).readingCount += 1;
        else this.withCounterWindow(p, w, start, countReading);
      }
    }
  }

  /**
   * Books a measured step [t0, t1) of `delta` (no gap) and counts the reading at t1: what applyCounter's general
   * path does with advanceCounter's single measured segment, without building the segment for the common case.
   */
  private bookMeasured(p: PointRecord, t0: number, t1: number, delta: number): void {
    const windows = this.deps.windowsMs;
    let seg: Segment | null = null;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      const start = Math.floor(t0 / w) * w;
      if (start === Math.floor((t1 - 1) / w) * w && start >= this.nextCloseAt[i]!) {
        // The whole step lies in one open window (bookShare of one measured share, inline).
        const acc = this.openCounterAcc(p, i, start);
        acc.delta += delta;
        acc.coveredMs += t1 - t0;
        if (!acc.methods.includes('measured')) acc.methods.push('measured');
      } else {
        this.bookSegmentIn(p, (seg ??= { t0, t1, delta, cause: 'measured', gap: false }), w);
      }
    }
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      const start = Math.floor(t1 / w) * w;
      if (start >= this.nextCloseAt[i]!) this.openCounterAcc(p, i, start).readingCount += 1;
      else this.withCounterWindow(p, w, start, countReading);
    }
  }

  private bookSegment(p: PointRecord, seg: Segment): void {
    for (const w of this.deps.windowsMs) this.bookSegmentIn(p, seg, w);
  }

  private bookSegmentIn(p: PointRecord, seg: Segment, w: number): void {
    const discrete = p.info.unit === 'count';
    const start = windowStartOf(seg.t0, w);
    if (start === windowStartOf(seg.t1 - 1, w) && this.isOpen(w, start)) {
      // Fast path: the whole step lies in one open window.
      bookShare(
        this.openAcc(p, w, start, emptyCounterAcc),
        seg,
        { start, delta: seg.delta, overlapMs: seg.t1 - seg.t0 },
        false,
        discrete,
      );
      return;
    }
    const shares = allocateSegment(seg, w, discrete);
    for (const share of shares) {
      this.withCounterWindow(p, w, share.start, (acc) => bookShare(acc, seg, share, shares.length > 1, discrete));
    }
  }

  /** Applies `fn` to the open window, or revises the written one (never dropped: counters conserve). */
  private withCounterWindow(
    p: PointRecord,
    windowMs: number,
    start: number,
    fn: (acc: CounterWindowAcc) => void,
  ): void {
    if (this.isOpen(windowMs, start)) {
      fn(this.openAcc(p, windowMs, start, emptyCounterAcc));
      return;
    }
    const id = meterRollupId(p.info, windowMs, start);
    const cur = this.out.get(id) as MeterCounterRollup | undefined;
    const acc = cur ? counterAccOf(cur) : emptyCounterAcc(start);
    fn(acc);
    addUnique(acc.flags, 'late');
    this.out.put(counterRollup(p.info, windowMs, acc, this.out.nextRevision(id), this.deps.calorific));
    this.registry.markRevised(p, windowMs, start);
  }

  // ---- gauges ----

  private applyGauge(p: PointRecord, ts: number, value: number): void {
    const step = advanceGauge(p.gauge ?? EMPTY_GAUGE_STATE, { ts, value }, p.info.settings.gauge);
    p.gauge = step.state;
    if (step.spikeDropped) this.flagOpen(p, ts, 'spike');
    for (const a of step.accepted) this.bookGaugeValue(p, a, step.late);
  }

  private bookGaugeValue(p: PointRecord, a: AcceptedGauge, late: boolean): void {
    for (const w of this.deps.windowsMs) {
      const start = windowStartOf(a.ts, w);
      if (this.isOpen(w, start)) {
        bookGauge(this.openAcc(p, w, start, emptyGaugeAcc), a.value, late);
      } else if (start + w + this.deps.config.gracePeriodMs >= this.progress.watermark) {
        this.reviseGauge(p, w, start, a.value, late);
      } else {
        this.droppedLateGauge += 1;
      }
      if (a.prevTs !== null && a.ts - a.prevTs <= p.info.settings.gauge.maxGapMs) this.coverGauge(p, w, a.prevTs, a.ts);
    }
  }

  private reviseGauge(p: PointRecord, windowMs: number, start: number, value: number, late: boolean): void {
    const id = meterRollupId(p.info, windowMs, start);
    const cur = this.out.get(id) as MeterGaugeRollup | undefined;
    const acc: GaugeWindowAcc = cur ? gaugeAccOf(cur) : emptyGaugeAcc(start);
    bookGauge(acc, value, late);
    addUnique(acc.flags, 'late');
    this.out.put(gaugeRollup(p.info, windowMs, acc, this.out.nextRevision(id)));
  }

  /** Coverage of the span [t0, t1) between accepted gauge values, in open windows only. */
  private coverGauge(p: PointRecord, windowMs: number, t0: number, t1: number): void {
    for (let s = windowStartOf(t0, windowMs); s < t1; s += windowMs) {
      if (!this.isOpen(windowMs, s)) continue;
      const acc = this.openAcc(p, windowMs, s, emptyGaugeAcc);
      acc.coveredMs += Math.min(t1, s + windowMs) - Math.max(t0, s);
    }
  }

  private flagOpen(p: PointRecord, ts: number, flag: string): void {
    for (const w of this.deps.windowsMs) {
      const start = windowStartOf(ts, w);
      if (!this.isOpen(w, start)) continue;
      const acc = this.openAcc<WindowAcc>(p, w, start, p.info.kind === 'counter' ? emptyCounterAcc : emptyGaugeAcc);
      addUnique(acc.flags, flag);
      p.dirty = true;
    }
  }

  // ---- writing windows ----

  private closeDue(): void {
    const limit = this.progress.watermark - this.deps.config.closeLagMs;
    const windows = this.deps.windowsMs;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      let next = this.nextCloseAt[i]!;
      if (!(next + w <= limit)) continue;
      while (next + w <= limit) {
        const earliest = this.registry.earliestOpen(w);
        if (earliest === null || earliest > next) {
          // Nothing open before `earliest`: skip the empty stretch in one step.
          next = Math.min(earliest ?? Infinity, windowStartOf(limit, w));
          continue;
        }
        this.writeWindow(w, next);
        next += w;
      }
      this.setNextClose(i, w, next);
    }
  }

  private writeWindow(windowMs: number, start: number): void {
    const written: MeterCounterRollup[] = [];
    for (const p of this.registry.takeOpen(windowMs, start)) {
      const acc = p.open.get(windowMs)?.get(start);
      if (!acc) continue;
      p.open.get(windowMs)!.delete(start);
      p.dirty = true;
      if (p.info.kind === 'counter') {
        const r = counterRollup(p.info, windowMs, acc as CounterWindowAcc, 1, this.deps.calorific);
        this.out.put(r);
        written.push(r);
      } else {
        this.out.put(gaugeRollup(p.info, windowMs, acc as GaugeWindowAcc, 1));
      }
    }
    this.registry.writeTotals(this.out, windowMs, start, written);
  }
}
