import { PcfError, type MachineState, type Quantity } from '@pcf-edge/core';
import { registerDiscontinuities, type RegisterDiscontinuity } from './discontinuities';
import type { Fault, FaultBook } from './faults';
import type { MeterModel } from './model/meter';
import { pointValue, serialAt, type ValuePoint } from './model/render';
import type { World } from './model/world';
import type { MeterRole } from './scenario/types';

export interface MeterTruth {
  site: string;
  line: string | null;
  role: MeterRole;
  serial: string;
  /**
   * What each point of a healthy meter shows, canonical unit, counter events (reset, replacement, rollover)
   * included, transport faults excluded. Integer counters: exactly what a correct decoder gets; float counters:
   * unrounded (the register holds the nearest float32/float64).
   */
  points: Record<string, number>;
  /** True consumption since startTime per counter quantity the meter measures; faults never change it. */
  consumption: Partial<Record<Quantity, number>>;
}

export interface LineTotals {
  electricityKWh: number;
  gasM3: number;
  unitsGood: number;
  unitsScrap: number;
}

export interface TruthSnapshot {
  ts: number;
  time: string;
  meters: Record<string, MeterTruth>;
  /** Per line: state at ts and totals since startTime. */
  lines: Record<string, LineTotals & { state: MachineState }>;
  /** Every register discontinuity a counter event applied at or before ts, by time, then meter (scenario order). */
  discontinuities: RegisterDiscontinuity[];
}

/** Ground truth: pure functions of simulated time (epoch ms) and the counter events so far. */
export interface Truth {
  at(ts: number): TruthSnapshot;
  /** The line's true electricity (kWh), gas (m³) and units in [fromTs, toTs). */
  lineEnergy(line: string, fromTs: number, toTs: number): LineTotals;
  /** A meter's true consumption of `quantity` in [fromTs, toTs), canonical unit. */
  meterConsumption(meterId: string, quantity: Quantity, fromTs: number, toTs: number): number;
  /** A site's true baseload electricity in [fromTs, toTs), kWh. */
  baseloadEnergy(site: string, fromTs: number, toTs: number): number;
}

const COUNTERS: Quantity[] = ['activeEnergyImport', 'gasVolume', 'unitsProduced', 'unitsScrapped'];

export function createTruth(
  world: World,
  faults: FaultBook,
  pointsOf: (meterId: string) => readonly ValuePoint[],
): Truth {
  const line = (id: string) => {
    const l = world.lines.get(id);
    if (!l) throw new PcfError('ERR_NOT_FOUND', `no line '${id}'`, { line: id });
    return l;
  };
  /** A meter at `ts`; `events` are its counter events so far (`faults.counterEvents`). */
  const meterTruth = (m: MeterModel, ts: number, events: Fault[]): MeterTruth => {
    const points: Record<string, number> = {};
    for (const p of pointsOf(m.id)) points[p.name] = pointValue(m, p, ts, events);
    const consumption: Partial<Record<Quantity, number>> = {};
    for (const q of COUNTERS) if (pointsOf(m.id).some((p) => p.quantity === q)) consumption[q] = m.consumption(q, ts);
    return { site: m.site, line: m.line?.id ?? null, role: m.role, serial: serialAt(m, events), points, consumption };
  };
  // a meter's discontinuities depend only on its counter events so far (each on the events before it): kept per
  // meter while the list of events is the same, instead of replaying every event for every snapshot
  const discMemo = new Map<string, { key: string; list: RegisterDiscontinuity[] }>();
  const discontinuitiesOf = (m: MeterModel, events: Fault[]): RegisterDiscontinuity[] => {
    const key = events.map((e) => e.id).join('\u001f');
    const hit = discMemo.get(m.id);
    if (hit && hit.key === key) return hit.list;
    const list = registerDiscontinuities(m, pointsOf(m.id), events);
    discMemo.set(m.id, { key, list });
    return list;
  };
  const totals = (id: string, ts: number): LineTotals => {
    const l = line(id);
    const u = l.unitsAt(ts);
    return { electricityKWh: l.power.integral(ts), gasM3: l.gas.integral(ts), unitsGood: u.good, unitsScrap: u.scrap };
  };
  return {
    at(ts) {
      const meters: Record<string, MeterTruth> = {};
      const discontinuities: RegisterDiscontinuity[] = [];
      for (const m of world.meters.values()) {
        const events = faults.counterEvents(m.faultTargets, ts);
        meters[m.id] = meterTruth(m, ts, events);
        discontinuities.push(...discontinuitiesOf(m, events));
      }
      const lines: TruthSnapshot['lines'] = {};
      for (const l of world.lines.values()) lines[l.id] = { ...totals(l.id, ts), state: l.stateAt(ts) };
      discontinuities.sort((a, b) => a.atMs - b.atMs);
      return { ts, time: new Date(ts).toISOString(), meters, lines, discontinuities };
    },
    lineEnergy(id, fromTs, toTs) {
      const a = totals(id, fromTs);
      const b = totals(id, toTs);
      return {
        electricityKWh: b.electricityKWh - a.electricityKWh,
        gasM3: b.gasM3 - a.gasM3,
        unitsGood: b.unitsGood - a.unitsGood,
        unitsScrap: b.unitsScrap - a.unitsScrap,
      };
    },
    meterConsumption(meterId, q, fromTs, toTs) {
      const m = world.meters.get(meterId);
      if (!m) throw new PcfError('ERR_NOT_FOUND', `no meter '${meterId}'`, { meterId });
      return m.consumption(q, toTs) - m.consumption(q, fromTs);
    },
    baseloadEnergy(site, fromTs, toTs) {
      const s = world.baseloads.get(site);
      if (!s) throw new PcfError('ERR_NOT_FOUND', `no site '${site}'`, { site });
      return s.integral(toTs) - s.integral(fromTs);
    },
  };
}
