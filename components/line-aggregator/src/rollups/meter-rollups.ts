import {
  rollupId,
  type MeterCounterRollup,
  type MeterGaugeRollup,
  type PointKind,
  type Quantity,
} from '@pcf-edge/core';
import { emptyCounterAcc, type CounterWindowAcc } from '../counter/allocate';
import { gasEnergy, type CalorificSchedule } from '../gas/calorific';
import type { PointSettings } from '../point-settings';

/** Identity of one point as the aggregator knows it (from its first good reading and the config). */
export interface PointInfo {
  site: string;
  line: string;
  meterId: string;
  point: string;
  quantity: Quantity;
  kind: PointKind;
  unit: string;
  settings: PointSettings;
}

/** Accumulated gauge values of one point in one window. JSON-serialisable. */
export interface GaugeWindowAcc {
  start: number;
  min: number | null;
  max: number | null;
  sum: number;
  n: number;
  last: number | null;
  coveredMs: number;
  flags: string[];
}

export function emptyGaugeAcc(start: number): GaugeWindowAcc {
  return { start, min: null, max: null, sum: 0, n: 0, last: null, coveredMs: 0, flags: [] };
}

export function meterRollupId(p: PointInfo, windowMs: number, start: number): string {
  return rollupId({
    type: p.kind === 'counter' ? 'meterCounter' : 'meterGauge',
    site: p.site,
    line: p.line,
    meterId: p.meterId,
    point: p.point,
    windowMs,
    windowStartMs: start,
  });
}

const coverageOf = (coveredMs: number, windowMs: number): number => Math.min(1, Math.max(0, coveredMs / windowMs));

export function counterRollup(
  p: PointInfo,
  windowMs: number,
  acc: CounterWindowAcc,
  revision: number,
  cv: CalorificSchedule,
): MeterCounterRollup {
  const flags = [...acc.flags];
  const r: MeterCounterRollup = {
    id: meterRollupId(p, windowMs, acc.start),
    revision,
    type: 'meterCounter',
    site: p.site,
    windowStart: new Date(acc.start).toISOString(),
    windowMs,
    coverage: coverageOf(acc.coveredMs, windowMs),
    estimated: acc.estimated,
    flags,
    line: p.line,
    meterId: p.meterId,
    point: p.point,
    quantity: p.quantity,
    kind: 'counter',
    unit: p.unit,
    delta: acc.delta,
    methods: [...acc.methods],
    readingCount: acc.readingCount,
  };
  if (p.quantity === 'gasVolume') {
    const gas = gasEnergy(acc.delta, acc.start, cv);
    if (gas) r.gas = gas;
    else if (!flags.includes('noCalorificValue')) flags.push('noCalorificValue');
  }
  return r;
}

/** The accumulator a stored counter rollup stands for, to add late consumption to it. */
export function counterAccOf(r: MeterCounterRollup): CounterWindowAcc {
  const start = Date.parse(r.windowStart);
  return {
    ...emptyCounterAcc(start),
    delta: r.delta,
    coveredMs: r.coverage * r.windowMs,
    methods: [...r.methods],
    flags: r.flags.filter((f) => f !== 'noCalorificValue'),
    estimated: r.estimated,
    readingCount: r.readingCount,
  };
}

export function gaugeRollup(p: PointInfo, windowMs: number, acc: GaugeWindowAcc, revision: number): MeterGaugeRollup {
  return {
    id: meterRollupId(p, windowMs, acc.start),
    revision,
    type: 'meterGauge',
    site: p.site,
    windowStart: new Date(acc.start).toISOString(),
    windowMs,
    coverage: coverageOf(acc.coveredMs, windowMs),
    estimated: false,
    flags: [...acc.flags],
    line: p.line,
    meterId: p.meterId,
    point: p.point,
    quantity: p.quantity,
    kind: 'gauge',
    unit: p.unit,
    min: acc.min,
    max: acc.max,
    mean: acc.n > 0 ? acc.sum / acc.n : null,
    last: acc.last,
    readingCount: acc.n,
  };
}

export function gaugeAccOf(r: MeterGaugeRollup): GaugeWindowAcc {
  return {
    start: Date.parse(r.windowStart),
    min: r.min,
    max: r.max,
    sum: (r.mean ?? 0) * r.readingCount,
    n: r.readingCount,
    last: r.last,
    coveredMs: r.coverage * r.windowMs,
    flags: [...r.flags],
  };
}

/** Adds one gauge value; `late` values count in min/max/mean but do not replace `last`. */
export function bookGauge(acc: GaugeWindowAcc, value: number, late: boolean): void {
  acc.min = acc.min === null ? value : Math.min(acc.min, value);
  acc.max = acc.max === null ? value : Math.max(acc.max, value);
  acc.sum += value;
  acc.n += 1;
  if (!late) acc.last = value;
}
