import { advanceGauge, EMPTY_GAUGE_STATE, type GaugeSettings, type GaugeState } from '../src/gauge/gauge-filter';
import { createCalorificSchedule, gasEnergy } from '../src/gas/calorific';

const SETTINGS: GaugeSettings = { deadband: 0, spikeThreshold: null, maxGapMs: 60_000 };

function shown(values: number[], s: GaugeSettings): { shown: number[]; dropped: number } {
  let state: GaugeState = EMPTY_GAUGE_STATE;
  const out: number[] = [];
  let dropped = 0;
  values.forEach((value, i) => {
    const step = advanceGauge(state, { ts: 1000 * (i + 1), value }, s);
    state = step.state;
    out.push(...step.accepted.map((a) => a.value));
    if (step.spikeDropped) dropped++;
  });
  return { shown: out, dropped };
}

describe('gauge display filter', () => {
  it('a deadband repeats the last shown value until the change reaches it', () => {
    expect(shown([100, 100.4, 100.8, 101.2, 99.9], { ...SETTINGS, deadband: 1 }).shown).toEqual([
      100, 100, 100, 101.2, 99.9,
    ]);
  });

  it('a spike is held and dropped when the next value returns; a confirmed step is kept', () => {
    expect(shown([90, 91, 900, 92, 93], { ...SETTINGS, spikeThreshold: 50 })).toEqual({
      shown: [90, 91, 92, 93],
      dropped: 1,
    });
    expect(shown([90, 91, 300, 305, 302], { ...SETTINGS, spikeThreshold: 50 })).toEqual({
      shown: [90, 91, 300, 305, 302],
      dropped: 0,
    });
  });

  it('an older value is marked late and does not move the state', () => {
    const a = advanceGauge(EMPTY_GAUGE_STATE, { ts: 5000, value: 1 }, SETTINGS);
    const late = advanceGauge(a.state, { ts: 4000, value: 7 }, SETTINGS);
    expect(late).toMatchObject({ late: true, accepted: [{ ts: 4000, value: 7, prevTs: null }] });
    expect(late.state).toBe(a.state);
  });
});

describe('gas volume to energy', () => {
  const schedule = createCalorificSchedule(
    [
      { validFrom: '2026-01-01T00:00:00Z', validTo: '2026-06-01T06:00:00Z', mJPerM3: 39.5, basis: 'gross' },
      { validFrom: '2026-06-01T06:00:00Z', mJPerM3: 40.1, basis: 'gross' },
    ],
    1.02264,
  );

  it('uses the calorific value valid at the window start and keeps volume, factor, CV and basis', () => {
    expect(gasEnergy(100, Date.parse('2026-06-01T05:45:00Z'), schedule)).toEqual({
      m3: 100,
      kWh: (100 * 1.02264 * 39.5) / 3.6,
      cvMJPerM3: 39.5,
      cvBasis: 'gross',
      volumeCorrectionFactor: 1.02264,
    });
    expect(gasEnergy(100, Date.parse('2026-06-01T06:00:00Z'), schedule)?.cvMJPerM3).toBe(40.1);
  });

  it('has no energy (never a default) where the schedule has no value', () => {
    expect(gasEnergy(100, Date.parse('2025-12-31T23:45:00Z'), schedule)).toBeNull();
  });
});
