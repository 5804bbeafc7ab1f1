import fc from 'fast-check';
import { ManualClock } from '@pcf-edge/core';
import { decodePoint, getProfile, isFloat } from '@pcf-edge/profiles';
import { createMeterSimulator } from '../src';
import { FaultBook } from '../src/faults';
import { pointWords } from '../src/model/render';
import { CycleSeries } from '../src/model/series';
import { buildWorld } from '../src/model/world';
import { demoScenario } from './helpers';

const scenario = demoScenario({ opcua: true, faults: true });
const START = Date.parse(scenario.startTime);
const MONTH = 30 * 86_400_000;

describe('CycleSeries', () => {
  it('integrates a piecewise-constant rate exactly as a phase-by-phase sum', () => {
    const rates = (k: number, p: number): number => 10 + p + (k % 7);
    const s = new CycleSeries(1000, [60_000, 30_000, 90_000], rates);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 * 180_000 }), (dt) => {
        let want = 0;
        let t = 1000;
        for (let k = 0; t < 1000 + dt; k++) {
          const len = [60_000, 30_000, 90_000][k % 3] as number;
          const end = Math.min(t + len, 1000 + dt);
          want += (rates(k, k % 3) * (end - t)) / 3_600_000;
          t = end;
        }
        return Math.abs(s.integral(1000 + dt) - want) <= 1e-9 * Math.max(1, want);
      }),
    );
    expect(s.integral(0)).toBe(0);
  });
});

describe('ground truth', () => {
  const sim = createMeterSimulator(scenario, { clock: new ManualClock(START) });

  it('is additive over intervals and never decreases', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MONTH }),
        fc.integer({ min: 0, max: MONTH }),
        fc.integer({ min: 0, max: MONTH }),
        (a, b, c) => {
          const [t1, t2, t3] = [a, b, c].sort((x, y) => x - y).map((x) => START + x) as [number, number, number];
          for (const line of ['line-1', 'line-2']) {
            const whole = sim.truth.lineEnergy(line, t1, t3);
            const p1 = sim.truth.lineEnergy(line, t1, t2);
            const p2 = sim.truth.lineEnergy(line, t2, t3);
            if (Math.abs(whole.electricityKWh - p1.electricityKWh - p2.electricityKWh) > 1e-6) return false;
            if (whole.unitsGood !== p1.unitsGood + p2.unitsGood || p1.unitsGood < 0 || p1.electricityKWh < 0)
              return false;
          }
          return true;
        },
      ),
    );
  });

  it('is the same for the same seed and differs for another', () => {
    const t = START + 12 * 3_600_000 + 123;
    const again = createMeterSimulator(scenario, { clock: new ManualClock(t) });
    expect(again.truth.at(t)).toEqual(sim.truth.at(t));
    const other = createMeterSimulator({ ...scenario, seed: scenario.seed + 1 }, { clock: new ManualClock(t) });
    expect(other.truth.at(t).lines['line-1']?.electricityKWh).not.toBe(sim.truth.at(t).lines['line-1']?.electricityKWh);
  });

  it('every Modbus register decodes to the truth at any instant, across the scenario’s counter events', () => {
    const world = buildWorld(scenario);
    const faults = new FaultBook();
    faults.addScheduled(scenario.faults, START);
    faults.add('line1-gas', { type: 'rollover', at: START + 3_600_000 }, START);
    faults.add('line2-feed-b', { type: 'meterReplacement', at: START + 7_200_000, startValue: 3 }, START);
    const truthSim = createMeterSimulator(
      {
        ...scenario,
        faults: [
          ...scenario.faults,
          { target: 'line1-gas', type: 'rollover', at: START + 3_600_000 },
          { target: 'line2-feed-b', type: 'meterReplacement', at: START + 7_200_000, startValue: 3 },
        ],
      },
      { clock: new ManualClock(START) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 * 86_400_000 }), (dt) => {
        const t = START + dt;
        const snap = truthSim.truth.at(t);
        for (const [id, info] of world.modbus) {
          const meter = world.meters.get(id);
          if (!meter) return false;
          for (const p of getProfile(info.profile.name).points) {
            if (p.kind !== 'counter') continue;
            const got = decodePoint(pointWords(meter, p, t, faults.counterEvents(meter.faultTargets, t)), p);
            const want = snap.meters[id]?.points[p.name] as number;
            if (isFloat(p.type) ? got !== Math.fround(want) : got !== want) return false;
          }
        }
        return true;
      }),
      { numRuns: 60 },
    );
  });

  it('the scenario’s counterReset leaves consumption untouched', () => {
    const reset = Date.parse('2026-11-02T20:00:00Z');
    const before = sim.truth.at(reset - 1).meters['line1-press'];
    const after = sim.truth.at(reset + 3_600_000).meters['line1-press'];
    expect(after?.points.energyImport).toBeCloseTo(
      sim.truth.meterConsumption('line1-press', 'activeEnergyImport', reset, reset + 3_600_000),
      9,
    );
    expect(
      (after?.consumption.activeEnergyImport ?? 0) - (before?.consumption.activeEnergyImport ?? 0),
    ).toBeGreaterThan(0);
  });
});
