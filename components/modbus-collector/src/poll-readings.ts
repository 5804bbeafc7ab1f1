import { unitOf, type Quality, type Reading } from '@pcf-edge/core';
import type { ReadingRows } from '@pcf-edge/store';
import type { MeterConfig, ResolvedPoint } from './config';
import type { Assessed } from './quality';

/**
 * The readings of one poll of one meter, kept in columns (one array entry per reading) rather than one object per
 * reading: at 10,000 readings/s the buffered Reading objects were most of what the collector allocated and kept
 * alive until the writer's flush (docs/perf/collect.md). The store writes the rows straight from the columns
 * (ReadingRows); `toReadings` builds Reading objects for the callers that want them (pollOnce, onReading).
 * Appended to only while its poll runs; handed over when the poll ends and not changed afterwards.
 */
export class PollReadings implements ReadingRows {
  length = 0;
  /** Rows of quality 'good'. */
  good = 0;
  private readonly points: ResolvedPoint[] = [];
  /** NaN where the reading has no value (the store writes NULL). */
  private readonly values: number[] = [];
  private readonly readTs: number[] = [];
  private readonly quality: Quality[] = [];
  /** Created at the first row with a quality reason. */
  private reasons: (string | undefined)[] | null = null;
  /** The row readingAt hands to the store; reused, so handing over a row allocates nothing. */
  private readonly scratch: Reading;

  constructor(
    readonly site: string,
    readonly meter: MeterConfig,
  ) {
    this.scratch = this.blank();
  }

  push(point: ResolvedPoint, readTs: number, a: Assessed): void {
    const i = this.length++;
    this.points.push(point);
    this.values.push(a.value ?? NaN);
    this.readTs.push(readTs);
    this.quality.push(a.quality);
    if (a.quality === 'good') this.good++;
    if (a.qualityReason !== undefined) {
      this.reasons ??= new Array<string | undefined>(i).fill(undefined);
      this.reasons[i] = a.qualityReason;
    } else if (this.reasons) this.reasons.push(undefined);
  }

  /** Row i in a Reading this object reuses: valid until the next call. */
  readingAt(i: number): Reading {
    return this.fill(i, this.scratch);
  }

  toReadings(): Reading[] {
    const out: Reading[] = [];
    for (let i = 0; i < this.length; i++) {
      const r = this.fill(i, this.blank());
      if (r.qualityReason === undefined) delete r.qualityReason;
      out.push(r);
    }
    return out;
  }

  private blank(): Reading {
    const { site, meter } = this;
    return {
      site,
      line: meter.line,
      meterId: meter.id,
      point: '',
      quantity: 'voltage',
      kind: 'gauge',
      value: null,
      unit: 'V',
      sourceTs: null,
      readTs: 0,
      quality: 'good',
      qualityReason: undefined,
    };
  }

  /** Writes row i into `r` (site, line and meter as `blank` set them) and returns it. */
  private fill(i: number, r: Reading): Reading {
    const p = this.points[i]!;
    const v = this.values[i]!;
    r.point = p.name;
    r.quantity = p.quantity;
    r.kind = p.kind;
    r.value = Number.isNaN(v) ? null : v;
    r.unit = unitOf(p.quantity);
    r.readTs = this.readTs[i]!;
    r.quality = this.quality[i]!;
    r.qualityReason = this.reasons?.[i];
    return r;
  }
}
