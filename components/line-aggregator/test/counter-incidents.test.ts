/**
 * The incidents of docs/method/consumption.md as exact cases. Values are multiples of 1/8 so every difference is exact
 * in binary floating point and the expected window deltas can be compared with toBe.
 */
import { BASE_SETTINGS, deltas, runSeries, s } from './engine-helpers';

const MIN = 60_000;
const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);

describe('consumption method incidents', () => {
  it('reset to 0 and back within seconds books only the real consumption (no 15.5 MWh interval)', () => {
    for (const maxRatePerHour of [null, 180]) {
      const r = runSeries(
        [
          s(T0, 15500),
          s(T0 + 10e3, 15500.25),
          s(T0 + 20e3, 0),
          s(T0 + 30e3, 15500.75),
          s(T0 + 40e3, 15501),
          s(T0 + 60e3, 15501.5),
          s(T0 + 70e3, 15501.75),
        ],
        { ...BASE_SETTINGS, maxRatePerHour },
        MIN,
      );
      expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 1.5, '2026-06-01T08:01:00.000Z': 0.25 });
      expect(r.events.map((e) => e.kind)).toEqual(['quarantine', 'quarantineRefuted']);
      expect(r.windows.get(T0)!.flags).toEqual([]);
      expect(r.windows.get(T0)!.coveredMs).toBe(MIN);
    }
  });

  it('a spike up and back is quarantined and refuted', () => {
    const r = runSeries(
      [s(T0, 100), s(T0 + 10e3, 100.25), s(T0 + 20e3, 15600), s(T0 + 30e3, 100.75), s(T0 + 60e3, 101.5)],
      { ...BASE_SETTINGS, maxRatePerHour: 180 },
      MIN,
    );
    expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 1.5 });
    expect(r.events.map((e) => e.kind)).toEqual(['quarantine', 'quarantineRefuted']);
  });

  it('garbage for several polls in a row (random register words) books nothing of it: neither a jump nor a reset', () => {
    // up, further up, down below the anchor, up again: each garbage value is implausible from the one before
    const garbage = [3_221_225_472, 4_026_531_840, 12_288, 2_013_265_920];
    const r = runSeries(
      [
        s(T0, 100),
        s(T0 + 10e3, 100.25),
        ...garbage.map((g, i) => s(T0 + 20e3 + i * 10e3, g)),
        s(T0 + 60e3, 101.5),
        s(T0 + 70e3, 101.75),
      ],
      { ...BASE_SETTINGS, maxRatePerHour: 180 },
      MIN,
    );
    expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 1.5, '2026-06-01T08:01:00.000Z': 0.25 });
    expect(r.events.map((e) => e.kind)).not.toContain('reset');
    expect(r.events.map((e) => e.kind)).not.toContain('quarantineConfirmed');
  });

  it('a plausible-looking bad value is taken back when the next readings prove it an outlier (soak seed 101)', () => {
    // A 16-bit gas pulse counter: after a 4-minute gap one bad word (14.75) lies within the plausible bound from
    // the anchor (9.5) and is booked as measured; the real readings that follow (10.125, 10.25) read as a fall.
    // A reset cannot explain 10.125 (more than the meter can count in 5 minutes), but a plausible rise from 9.5
    // can: the step to 14.75 is revoked and 9.5 → 10.125 booked instead, no 10.125 m³ "reset".
    const settings = { ...BASE_SETTINGS, modulus: 655.36, maxRatePerHour: 60 };
    const r = runSeries(
      [s(T0, 9.5), s(T0 + 4 * MIN, 14.75), s(T0 + 5 * MIN, 10.125), s(T0 + 6 * MIN, 10.25), s(T0 + 7 * MIN, 10.375)],
      settings,
      MIN,
    );
    expect(deltas(r)).toEqual({
      '2026-06-01T08:00:00.000Z': 0.125,
      '2026-06-01T08:01:00.000Z': 0.125,
      '2026-06-01T08:02:00.000Z': 0.125,
      '2026-06-01T08:03:00.000Z': 0.125,
      '2026-06-01T08:04:00.000Z': 0.125,
      '2026-06-01T08:05:00.000Z': 0.125,
      '2026-06-01T08:06:00.000Z': 0.125,
    });
    expect(r.events.map((e) => e.kind)).toEqual(['quarantine', 'quarantineConfirmed', 'outlier']);
    expect(r.events[2]!.detail).toEqual({ previous: 9.5, outlier: 14.75, current: 10.125 });
    for (let m = 0; m < 5; m++) {
      expect(r.windows.get(T0 + m * MIN)!.flags).toEqual(['quarantine']);
      expect(r.windows.get(T0 + m * MIN)!.coveredMs).toBe(MIN);
    }
    expect(r.windows.get(T0 + 5 * MIN)!.flags).toEqual([]);
  });

  it('a small counter: the outlier is revoked when the real value lies nearer the reading before it than 0 (soak seed 101 again)', () => {
    // 16-bit gas pulse counter shortly after a replacement (values near 7): 6.875 → 7.375 (a bad word, plausible)
    // → 7.25 (real, a fall) → 7.3125. A reset could have counted up to 7.25 in the 4.5 minutes at 100 m³/h, but
    // 7.25 lies just above 6.875, far from 0: revoked, 0.375 booked instead of a 7.25 reset.
    const settings = { ...BASE_SETTINGS, modulus: 655.36, maxRatePerHour: 100 };
    const t = (s_: number): number => T0 + s_ * 1000;
    const r = runSeries([s(t(0), 6.875), s(t(240), 7.375), s(t(270), 7.25), s(t(300), 7.3125)], settings, MIN);
    expect(r.events.map((e) => e.kind)).toEqual(['quarantine', 'quarantineConfirmed', 'outlier']);
    const total = Object.values(deltas(r)).reduce((a, b) => a + b, 0);
    expect(total).toBe(0.4375);
  });

  it('a fall to near 0 right after a plausible step is still a reset: the step is not revoked', () => {
    const settings = { ...BASE_SETTINGS, maxRatePerHour: 60 };
    const r = runSeries(
      [s(T0, 9.5), s(T0 + 4 * MIN, 14.75), s(T0 + 5 * MIN, 0.5), s(T0 + 6 * MIN, 0.625)],
      settings,
      MIN,
    );
    expect(r.events.map((e) => e.kind)).toEqual(['quarantine', 'quarantineConfirmed', 'reset']);
    const total = Object.values(deltas(r)).reduce((a, b) => a + b, 0);
    expect(total).toBe(5.25 + 0.5 + 0.125);
  });

  it('a real burst above the bound is confirmed by the next reading and booked', () => {
    const r = runSeries(
      [s(T0, 100), s(T0 + 10e3, 110), s(T0 + 20e3, 110.25), s(T0 + 60e3, 111)],
      { ...BASE_SETTINGS, maxRatePerHour: 180 },
      MIN,
    );
    expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 11 });
    expect(r.events.map((e) => e.kind)).toEqual(['quarantine', 'quarantineConfirmed']);
    expect(r.windows.get(T0)!.methods).toEqual(['quarantined', 'measured']);
  });

  it('a smart plug that resets to 0 on power loss produces no negative window', () => {
    const r = runSeries(
      [
        s(T0, 12),
        s(T0 + 10e3, 12.25),
        s(T0 + 20e3, 12.5),
        s(T0 + 40e3, 0),
        s(T0 + 50e3, 0.25),
        s(T0 + 60e3, 0.5),
        s(T0 + 90e3, 1),
      ],
      { ...BASE_SETTINGS, maxRatePerHour: 180 },
      MIN,
    );
    expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 1, '2026-06-01T08:01:00.000Z': 0.5 });
    expect(r.events.map((e) => e.kind)).toEqual(['quarantine', 'quarantineConfirmed', 'reset']);
    expect(r.windows.get(T0)!.flags).toEqual(['reset']);
    expect(r.windows.get(T0)!.methods).toEqual(['measured', 'reset']);
  });

  it('a plug that is already counting again when first read books what it counted since the reset', () => {
    const r = runSeries(
      [s(T0, 12), s(T0 + 20e3, 12.5), s(T0 + 40e3, 0.25), s(T0 + 50e3, 0.5), s(T0 + 60e3, 0.75)],
      BASE_SETTINGS,
      MIN,
    );
    expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 1.25 });
  });

  it('a utility meter that resets yearly books the new year from 0', () => {
    const y = Date.UTC(2026, 0, 1);
    const r = runSeries(
      [
        s(y - 15 * MIN, 48210.5),
        s(y - 10 * MIN, 48211),
        s(y - 5 * MIN, 48211.5),
        s(y, 0),
        s(y + 5 * MIN, 0.5),
        s(y + 10 * MIN, 1),
        s(y + 15 * MIN, 1.5),
      ],
      { ...BASE_SETTINGS, maxRatePerHour: 12 },
      15 * MIN,
    );
    expect(deltas(r)).toEqual({ '2025-12-31T23:45:00.000Z': 1, '2026-01-01T00:00:00.000Z': 1.5 });
    expect(r.windows.get(y)!.flags).toEqual([]);
    expect(r.windows.get(y - 15 * MIN)!.flags).toEqual(['reset']);
    expect(r.events.filter((e) => e.kind === 'reset')).toEqual([
      { ts: y, kind: 'reset', detail: { previous: 48211.5, current: 0 } },
    ]);
  });

  it('a replaced meter starting at a small value books its register since installation, not a negative', () => {
    const samples = [
      s(T0, 48211.25, 'A-1'),
      s(T0 + MIN, 48211.75, 'A-1'),
      s(T0 + 2 * MIN, 3.5, 'B-7'),
      s(T0 + 3 * MIN, 4, 'B-7'),
    ];
    const r = runSeries(samples, { ...BASE_SETTINGS, maxRatePerHour: 60 }, MIN);
    expect(deltas(r)).toEqual({
      '2026-06-01T08:00:00.000Z': 0.5,
      '2026-06-01T08:01:00.000Z': 3.5,
      '2026-06-01T08:02:00.000Z': 0.5,
    });
    expect(r.events.map((e) => e.kind)).toEqual(['replacement']);
    expect(r.windows.get(T0 + MIN)!.methods).toEqual(['replacement']);
    expect(r.windows.get(T0 + MIN)!.flags).toEqual(['replacement']);
    // With the new meter's first reading configured (installation record), only what it counted since is booked.
    const configured = runSeries(samples, { ...BASE_SETTINGS, replacementStart: { 'B-7': 3 } }, MIN);
    expect(deltas(configured)).toEqual({
      '2026-06-01T08:00:00.000Z': 0.5,
      '2026-06-01T08:01:00.000Z': 0.5,
      '2026-06-01T08:02:00.000Z': 0.5,
    });
  });

  it('a 16-bit pulse counter (× 0.125 m³) rolls over', () => {
    const modulus = 65536 * 0.125;
    const r = runSeries(
      [s(T0, modulus - 0.5), s(T0 + 30e3, modulus - 0.25), s(T0 + 60e3, 0.25), s(T0 + 90e3, 0.5)],
      { ...BASE_SETTINGS, modulus },
      MIN,
    );
    expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 0.75, '2026-06-01T08:01:00.000Z': 0.25 });
    expect(r.events.map((e) => e.kind)).toEqual(['rollover']);
  });

  it('float jitter below the previous value is noise: 0, and the higher anchor is kept', () => {
    const r = runSeries(
      [s(T0, 1000), s(T0 + 20e3, 1000.5), s(T0 + 40e3, 1000.4375), s(T0 + 60e3, 1001)],
      { ...BASE_SETTINGS, noiseTolerance: 0.125 },
      MIN,
    );
    expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 1 });
    expect(r.events).toEqual([]);
  });

  it('a gap is spread over the windows it spans in proportion to time and flagged estimated', () => {
    const r = runSeries(
      [s(T0, 0), s(T0 + 30e3, 1), s(T0 + 30e3 + 3 * MIN, 7)],
      { ...BASE_SETTINGS, maxGapMs: 2 * MIN },
      MIN,
    );
    expect(deltas(r)).toEqual({
      '2026-06-01T08:00:00.000Z': 2,
      '2026-06-01T08:01:00.000Z': 2,
      '2026-06-01T08:02:00.000Z': 2,
      '2026-06-01T08:03:00.000Z': 1,
    });
    expect(r.windows.get(T0)!.coveredMs).toBe(30e3);
    expect(r.windows.get(T0)!.estimated).toBe(true);
    expect(r.windows.get(T0 + MIN)!.methods).toEqual(['gapSpread']);
    expect(r.events.map((e) => e.kind)).toEqual(['gap']);
  });

  it('unit counts are booked whole where observed, and a gap is spread in whole units', () => {
    const r = runSeries(
      [s(T0 + 50e3, 10), s(T0 + 70e3, 12), s(T0 + 70e3 + 3 * MIN, 16)],
      { ...BASE_SETTINGS, maxGapMs: 2 * MIN },
      MIN,
      true,
    );
    expect(deltas(r)).toEqual({
      '2026-06-01T08:00:00.000Z': 0,
      '2026-06-01T08:01:00.000Z': 3,
      '2026-06-01T08:02:00.000Z': 2,
      '2026-06-01T08:03:00.000Z': 1,
      '2026-06-01T08:04:00.000Z': 0,
    });
  });

  it('readings that arrive after a newer one are ignored as late', () => {
    const r = runSeries([s(T0, 0), s(T0 + 20e3, 2), s(T0 + 10e3, 1), s(T0 + 60e3, 6)], BASE_SETTINGS, MIN);
    expect(r.late).toBe(1);
    expect(deltas(r)).toEqual({ '2026-06-01T08:00:00.000Z': 6 });
  });
});
