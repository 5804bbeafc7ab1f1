import { clockFromEnv, ManualClock, ScaledClock, SIM_CLOCK_ENV, simClockEnvValue, systemClock } from '@pcf-edge/core';

describe('ManualClock', () => {
  test('starts where told and moves only by set/advance', () => {
    const c = new ManualClock(1000);
    expect(c.now()).toBe(1000);
    expect(c.now()).toBe(1000);
    c.advance(250);
    expect(c.now()).toBe(1250);
    c.set(5);
    expect(c.now()).toBe(5);
    expect(new ManualClock().now()).toBe(0);
  });
});

describe('ScaledClock', () => {
  test('runs factor times faster than its wall clock from startMs', () => {
    const wall = new ManualClock(10_000);
    const sim = new ScaledClock(1_700_000_000_000, 60, wall);
    expect(sim.now()).toBe(1_700_000_000_000);
    wall.advance(1000);
    expect(sim.now()).toBe(1_700_000_060_000);
    wall.advance(500);
    expect(sim.now()).toBe(1_700_000_090_000);
  });

  test('floors to whole milliseconds and honours an explicit wall start', () => {
    const wall = new ManualClock(1003);
    const sim = new ScaledClock(0, 0.5, wall, 1000);
    expect(sim.now()).toBe(1); // 3 ms wall × 0.5 = 1.5 → 1
  });
});

describe('clockFromEnv', () => {
  test('is the system clock when the variable is unset', () => {
    expect(clockFromEnv({})).toBe(systemClock);
  });

  test('shares one simulated timeline between processes given the same value', () => {
    const wallStart = Date.now() - 1000; // one wall second ago
    const env = { [SIM_CLOCK_ENV]: simClockEnvValue(1_700_000_000_000, 10, wallStart) };
    const a = clockFromEnv(env).now();
    expect(a).toBeGreaterThanOrEqual(1_700_000_010_000);
    expect(a).toBeLessThan(1_700_000_010_000 + 10 * 120_000); // generous: a loaded machine
    expect(clockFromEnv(env).now()).toBeGreaterThanOrEqual(a);
  });

  test.each(['', 'abc', '1,2', '1,2,0', '1,2,-3', '1,x,3'])('rejects %j naming the expected format', (spec) => {
    if (spec === '') return expect(clockFromEnv({ [SIM_CLOCK_ENV]: spec })).toBe(systemClock);
    expect(() => clockFromEnv({ [SIM_CLOCK_ENV]: spec })).toThrow(/<simStartMs>,<wallStartMs>,<factor>/);
  });
});
