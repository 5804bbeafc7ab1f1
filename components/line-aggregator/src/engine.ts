import { windowStartOf, type Reading } from '@pcf-edge/core';
import { addUnique, allocateSegment, bookShare, emptyCounterAcc, type CounterWindowAcc } from './counter/allocate';
import { advanceCounter, EMPTY_COUNTER_STATE, type Segment } from './counter/counter-engine';
import { advanceGauge, EMPTY_GAUGE_STATE, type AcceptedGauge } from './gauge/gauge-filter';
import type { CalorificSchedule } from './gas/calorific';
import type { BatchOverlay } from './batch';
import { meterOf, type AggregatorConfig, type PointSettings } from './config';
import {
  bookGauge, counterAccOf, counterRollup, emptyGaugeAcc, gaugeAccOf, gaugeRollup, meterRollupId,
  type GaugeWindowAcc, type PointInfo,
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

  constructor(private readonly deps: EngineDeps, points: PointRecord[], progress: Progress) {
    this.registry = new PointRegistry(deps.config, points);
    this.progress = { ...progress, nextClose: { ...progress.nextClose } };
  }

  apply(r: Reading & { seq: number }, out: BatchOverlay): void {
    this.out = out;
    out.beginReading();
    const ts = r.sourceTs ?? r.readTs;
    this.initWindows(ts);
    const good = r.quality === 'good' && r.value !== null && Number.isFinite(r.value);
    const p = good ? this.pointFor(r) : this.registry.get(pointKey(r.meterId, r.point));
    if (p && good) {
      if (p.info.kind === 'counter') this.applyCounter(p, ts, r.value as number, r.meterSerial ?? null);
      else this.applyGauge(p, ts, r.value as number);
      p.dirty = true;
    } else if (p) {
      this.flagOpen(p, ts, 'bad');
    }
    this.progress.cursor = r.seq;
    if (r.readTs > this.progress.watermark) this.progress.watermark = r.readTs;
    this.closeDue();
    this.registry.rederive(out);
  }

  private initWindows(ts: number): void {
    for (const w of this.deps.windowsMs) this.progress.nextClose[w] ??= windowStartOf(ts, w);
  }

  private pointFor(r: Reading): PointRecord {
    const key = pointKey(r.meterId, r.point);
    const existing = this.registry.get(key);
    if (existing) return existing;
    const info: PointInfo = {
      site: this.deps.config.site, line: r.line, meterId: r.meterId, point: r.point, quantity: r.quantity,
      kind: r.kind, unit: r.unit, settings: this.deps.settingsOf(r.meterId, r.point),
    };
    const configured = meterOf(this.deps.config, r.meterId);
    if (configured) info.line = configured.line;
    const p: PointRecord = { key, info, counter: null, gauge: null, open: new Map(), dirty: true };
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

  // ---- counters ----

  private applyCounter(p: PointRecord, ts: number, value: number, serial: string | null): void {
    const step = advanceCounter(p.counter ?? EMPTY_COUNTER_STATE, { ts, value, serial }, p.info.settings.counter);
    p.counter = step.state;
    for (const e of step.events) {
      this.out.events.push({ ts: e.ts, site: p.info.site, line: p.info.line, meterId: p.info.meterId, point: p.info.point, kind: e.kind, detail: e.detail });
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

  private bookSegment(p: PointRecord, seg: Segment): void {
    const discrete = p.info.unit === 'count';
    for (const w of this.deps.windowsMs) {
      const start = windowStartOf(seg.t0, w);
      if (start === windowStartOf(seg.t1 - 1, w) && this.isOpen(w, start)) {
        // Fast path: the whole step lies in one open window.
        bookShare(this.openAcc(p, w, start, emptyCounterAcc), seg, { start, delta: seg.delta, overlapMs: seg.t1 - seg.t0 }, false, discrete);
        continue;
      }
      const shares = allocateSegment(seg, w, discrete);
      for (const share of shares) {
        this.withCounterWindow(p, w, share.start, (acc) => bookShare(acc, seg, share, shares.length > 1, discrete));
      }
    }
  }

  /** Applies `fn` to the open window, or revises the written one (never dropped: counters conserve). */
  private withCounterWindow(p: PointRecord, windowMs: number, start: number, fn: (acc: CounterWindowAcc) => void): void {
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
    for (const w of this.deps.windowsMs) {
      let next = this.progress.nextClose[w]!;
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
      this.progress.nextClose[w] = next;
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
