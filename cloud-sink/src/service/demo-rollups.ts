import { makeRollupBatch, rollupId, type LineRollup, type RollupBatch, type SiteRollup } from '@pcf-edge/core';

/**
 * Synthetic rollups for the demo factory's day (2026-11-02, 06:00–10:00 UTC, 15-minute windows): line-1 draws
 * 10 kWh electricity and 5 kWh gas (gross CV, 0.47 m³) per window, line-2 8 kWh electricity, and plant-1's
 * baseload meter 2 kWh. The end-to-end test derives the demo PCFs from exactly these numbers by hand.
 */
export const DEMO_DAY = { start: '2026-11-02T06:00:00.000Z', windows: 16, windowMs: 900_000 };

export function demoRollups(): (LineRollup | SiteRollup)[] {
  const out: (LineRollup | SiteRollup)[] = [];
  const start = Date.parse(DEMO_DAY.start);
  for (let i = 0; i < DEMO_DAY.windows; i++) {
    const ws = start + i * DEMO_DAY.windowMs;
    const windowStart = new Date(ws).toISOString();
    const common = {
      revision: 1,
      site: 'plant-1',
      windowStart,
      windowMs: DEMO_DAY.windowMs,
      coverage: 1,
      estimated: false,
      flags: [],
    };
    const line = (l: string, kWh: number, gasKWh: number, units: number): LineRollup => ({
      ...common,
      id: rollupId({ type: 'line', site: 'plant-1', line: l, windowMs: DEMO_DAY.windowMs, windowStartMs: ws }),
      type: 'line',
      line: l,
      electricityKWh: kWh,
      gasKWh,
      gasM3: gasKWh > 0 ? 0.47 : 0,
      gasCvBasis: gasKWh > 0 ? 'gross' : null,
      unitsGood: units,
      unitsScrap: 0,
      kWhPerUnit: units > 0 ? (kWh + gasKWh) / units : null,
      meters: [`${l}-main`],
    });
    out.push(line('line-1', 10, 5, 20), line('line-2', 8, 0, 6), {
      ...common,
      id: rollupId({ type: 'site', site: 'plant-1', windowMs: DEMO_DAY.windowMs, windowStartMs: ws }),
      type: 'site',
      electricityKWh: 20,
      baseloadKWh: 2,
      gasM3: 0.47,
      gasKWh: 5,
      gasCvBasis: 'gross',
      unitsGood: 26,
      unitsScrap: 0,
      lines: ['line-1', 'line-2'],
    });
  }
  return out;
}

export function demoBatch(): RollupBatch {
  return makeRollupBatch('demo-gateway', 'plant-1', demoRollups(), new Date('2026-11-02T10:05:00Z'));
}
