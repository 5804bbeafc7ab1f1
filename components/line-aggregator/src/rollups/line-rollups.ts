import { rollupId, type LineRollup, type MeterCounterRollup, type SiteRollup } from '@pcf-edge/core';

/**
 * Line and site rollups are derived from meter counter rollups of the same window, so a revised meter window
 * re-derives them. Electricity is `activeEnergyImport`, gas is `gasVolume` (kWh from its `gas` block), units are
 * `unitsProduced` (good) and `unitsScrapped`.
 */
interface Totals {
  electricityKWh: number;
  gasM3: number;
  gasKWh: number;
  hasGas: boolean;
  unitsGood: number;
  unitsScrap: number;
  coverageSum: number;
  estimated: boolean;
  flags: Set<string>;
  meters: Set<string>;
}

function sumCounters(rollups: readonly MeterCounterRollup[]): Totals {
  const t: Totals = {
    electricityKWh: 0,
    gasM3: 0,
    gasKWh: 0,
    hasGas: false,
    unitsGood: 0,
    unitsScrap: 0,
    coverageSum: 0,
    estimated: false,
    flags: new Set(),
    meters: new Set(),
  };
  for (const r of rollups) {
    if (r.quantity === 'activeEnergyImport') {
      t.electricityKWh += r.delta;
    } else if (r.quantity === 'gasVolume') {
      t.hasGas = true;
      t.gasM3 += r.delta;
      t.gasKWh += r.gas?.kWh ?? 0;
    } else if (r.quantity === 'unitsProduced') {
      t.unitsGood += r.delta;
    } else if (r.quantity === 'unitsScrapped') {
      t.unitsScrap += r.delta;
    } else {
      continue;
    }
    t.coverageSum += r.coverage;
    t.estimated ||= r.estimated;
    for (const f of r.flags) t.flags.add(f);
    t.meters.add(r.meterId);
  }
  return t;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/**
 * `counters`: the window's counter rollups of the line's lineTotal meters; `knownPoints`: how many such counter
 * points the aggregator knows (a known point without a rollup counts as coverage 0).
 */
export function buildLineRollup(
  site: string,
  line: string,
  windowMs: number,
  start: number,
  counters: readonly MeterCounterRollup[],
  knownPoints: number,
  revision: number,
): LineRollup {
  const t = sumCounters(counters);
  const counted = counters.filter((r) =>
    ['activeEnergyImport', 'gasVolume', 'unitsProduced', 'unitsScrapped'].includes(r.quantity),
  ).length;
  return {
    id: rollupId({ type: 'line', site, line, windowMs, windowStartMs: start }),
    revision,
    type: 'line',
    site,
    windowStart: new Date(start).toISOString(),
    windowMs,
    coverage: clamp01(t.coverageSum / Math.max(1, knownPoints, counted)),
    estimated: t.estimated,
    flags: [...t.flags].sort().slice(0, 32),
    line,
    electricityKWh: t.electricityKWh,
    gasM3: t.gasM3,
    gasKWh: t.gasKWh,
    gasCvBasis: t.hasGas ? 'gross' : null,
    unitsGood: t.unitsGood,
    unitsScrap: t.unitsScrap,
    kWhPerUnit: t.unitsGood > 0 ? (t.electricityKWh + t.gasKWh) / t.unitsGood : null,
    meters: [...t.meters].sort(),
  };
}

/** Site = its lines plus its baseload meters' counters (`baseloadPoints` known baseload counter points). */
export function buildSiteRollup(
  site: string,
  windowMs: number,
  start: number,
  lines: readonly LineRollup[],
  baseload: readonly MeterCounterRollup[],
  baseloadPoints: number,
  revision: number,
): SiteRollup {
  const b = sumCounters(baseload);
  const flags = new Set(b.flags);
  for (const l of lines) for (const f of l.flags) flags.add(f);
  const parts = lines.length + Math.max(baseloadPoints, baseload.length);
  const coverage = parts === 0 ? 0 : (lines.reduce((a, l) => a + l.coverage, 0) + b.coverageSum) / parts;
  const sum = (f: (l: LineRollup) => number): number => lines.reduce((a, l) => a + f(l), 0);
  return {
    id: rollupId({ type: 'site', site, windowMs, windowStartMs: start }),
    revision,
    type: 'site',
    site,
    windowStart: new Date(start).toISOString(),
    windowMs,
    coverage: clamp01(coverage),
    estimated: b.estimated || lines.some((l) => l.estimated),
    flags: [...flags].sort().slice(0, 32),
    electricityKWh: sum((l) => l.electricityKWh) + b.electricityKWh,
    baseloadKWh: b.electricityKWh,
    gasM3: sum((l) => l.gasM3) + b.gasM3,
    gasKWh: sum((l) => l.gasKWh) + b.gasKWh,
    gasCvBasis: b.hasGas || lines.some((l) => l.gasCvBasis !== null) ? 'gross' : null,
    unitsGood: sum((l) => l.unitsGood),
    unitsScrap: sum((l) => l.unitsScrap),
    lines: lines.map((l) => l.line).sort(),
  };
}
