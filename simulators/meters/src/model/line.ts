import { MACHINE_STATES, type MachineState } from '@pcf-edge/core';
import type { Line, Site } from '../scenario/types';
import { signedUnit } from './random';
import { CycleSeries } from './series';

/**
 * A production line: its schedule drives electrical load (kW), gas flow (m³/h) and production (units/h).
 * Each phase occurrence has its own seeded load variation (± jitter), fixed for that occurrence.
 */
export interface LineModel {
  id: string;
  site: string;
  stateAt(t: number): MachineState;
  /** kW */
  power: CycleSeries;
  /** m³/h (zero when the line has no gas). */
  gas: CycleSeries;
  /** units/h, good and scrap together. */
  production: CycleSeries;
  /** Units completed since start: total, good, scrap. */
  unitsAt(t: number): { total: number; good: number; scrap: number };
}

export function createLineModel(line: Line, site: Site, startMs: number, seed: number): LineModel {
  const phases = line.schedule;
  const ms = phases.map((p) => p.minutes * 60_000);
  const state = (phase: number): Exclude<MachineState, 'off'> => (phases[phase] as (typeof phases)[number]).state;
  const vary = (tag: string, k: number): number => 1 + line.jitter * signedUnit(seed, line.id, tag, k);
  const loadKw = (s: Exclude<MachineState, 'off'>): number => {
    switch (s) {
      case 'idle':
        return line.idleLoadKw;
      case 'producing':
        return line.producingLoadKw;
      case 'changeover':
        return line.changeoverLoadKw ?? line.idleLoadKw;
    }
  };
  const gasM3h = (s: Exclude<MachineState, 'off'>): number =>
    !line.gas ? 0 : s === 'producing' ? line.gas.producingM3PerHour : line.gas.idleM3PerHour;
  const power = new CycleSeries(startMs, ms, (k, p) => loadKw(state(p)) * vary('power', k));
  const gas = new CycleSeries(startMs, ms, (k, p) => gasM3h(state(p)) * vary('gas', k));
  const production = new CycleSeries(startMs, ms, (_k, p) => (state(p) === 'producing' ? line.ratePerHour : 0));
  return {
    id: line.id,
    site: site.id,
    stateAt: (t) => (t < startMs ? 'off' : state(power.locate(t).phase)),
    power,
    gas,
    production,
    unitsAt(t) {
      const total = Math.floor(production.integral(t) + 1e-9);
      const scrap = Math.floor(total * line.scrapRatio + 1e-9);
      return { total, good: total - scrap, scrap };
    },
  };
}

/** Site baseload: constant kW with a seeded ±5 % variation per simulated hour. */
export function createBaseloadSeries(site: Site, startMs: number, seed: number): CycleSeries {
  return new CycleSeries(
    startMs,
    [3_600_000],
    (k) => site.baseloadKw * (1 + 0.05 * signedUnit(seed, site.id, 'baseload', k)),
  );
}

export function machineStateCode(s: MachineState): number {
  return MACHINE_STATES[s];
}
