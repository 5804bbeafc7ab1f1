import type { GasEnergy } from '@pcf-edge/core';
import type { CalorificValueEntry } from '../config';

/**
 * Gas volume to energy (docs/method/consumption.md, "Gas: volume to energy"):
 *   kWh = m³ × volume correction factor × calorific value (MJ/m³, gross) ÷ 3.6 (MJ per kWh).
 * The calorific value is the schedule entry valid at the window's start; the rollup keeps the volume, the factor,
 * the value and its basis so the energy can be recomputed.
 */
export interface CalorificSchedule {
  /** The entry valid at `ts` (epoch ms), or null when the schedule has none. */
  at(ts: number): { mJPerM3: number; basis: 'gross' } | null;
  volumeCorrectionFactor: number;
}

export function createCalorificSchedule(
  entries: readonly CalorificValueEntry[],
  volumeCorrectionFactor: number,
): CalorificSchedule {
  const spans = entries
    .map((e) => ({
      from: Date.parse(e.validFrom),
      to: e.validTo === undefined ? Infinity : Date.parse(e.validTo),
      mJPerM3: e.mJPerM3,
      basis: e.basis,
    }))
    .sort((a, b) => a.from - b.from);
  return {
    volumeCorrectionFactor,
    at(ts) {
      const e = spans.find((s) => s.from <= ts && ts < s.to);
      return e ? { mJPerM3: e.mJPerM3, basis: e.basis } : null;
    },
  };
}

export const MJ_PER_KWH = 3.6;

/** Energy of `m3` cubic metres in the window starting at `windowStartMs`; null when no calorific value applies. */
export function gasEnergy(m3: number, windowStartMs: number, schedule: CalorificSchedule): GasEnergy | null {
  const cv = schedule.at(windowStartMs);
  if (cv === null) return null;
  return {
    m3,
    kWh: (m3 * schedule.volumeCorrectionFactor * cv.mJPerM3) / MJ_PER_KWH,
    cvMJPerM3: cv.mJPerM3,
    cvBasis: cv.basis,
    volumeCorrectionFactor: schedule.volumeCorrectionFactor,
  };
}
