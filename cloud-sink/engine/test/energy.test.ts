import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dec, fromMicro, MAX_MICRO, toMicro } from '../src';

/** The decoding every rollup value goes through at ingest, against decimal.js reading the number and rounding. */
const reference = (v: number): number | undefined => {
  const n = new Dec(v).times(1e6).toDecimalPlaces(0, Dec.ROUND_HALF_UP);
  return n.gt(MAX_MICRO) ? undefined : n.toNumber();
};

describe('toMicro (values as exact integer micro-units)', () => {
  it('is the decimal a number denotes, rounded half-up to 6 decimals, for any number', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: 0, max: 1e10, noNaN: true }),
          fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n / 1e6),
          fc.integer({ min: 0, max: 2 ** 30 }).map((n) => (n + 0.5) / 1e6), // halves of a micro-unit
          fc.integer({ min: 0, max: 2 ** 30 }).map((n) => n / 1e7),
        ),
        (v) => expect(toMicro(v)).toBe(reference(v)),
      ),
      { numRuns: 20_000 },
    );
  });

  it('keeps values of at most 6 decimals exactly, rounds ties up and refuses what does not fit', () => {
    expect(toMicro(0.47)).toBe(470_000);
    expect(fromMicro(toMicro(0.207074289)!).toString()).toBe('0.207074');
    expect(toMicro(0.0000005)).toBe(1);
    expect(toMicro(0.0000025)).toBe(3);
    expect(toMicro(1.2345678)).toBe(1_234_568);
    expect(toMicro(-0)).toBe(0);
    expect(Object.is(toMicro(-0), 0)).toBe(true);
    expect(toMicro(9_007_199_254.74)).toBe(9_007_199_254_740_000);
    expect(toMicro(9_007_199_255)).toBeUndefined();
    expect(toMicro(-0.001)).toBeUndefined();
    expect(toMicro(Number.NaN)).toBeUndefined();
    expect(toMicro(Infinity)).toBeUndefined();
  });
});

describe('the engine package', () => {
  it('lists no I/O dependency', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(pkg.dependencies as object).sort()).toEqual(['@pcf-edge/core', 'decimal.js']);
    expect(pkg.devDependencies).toBeUndefined();
  });
});
