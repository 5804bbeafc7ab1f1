import fc from 'fast-check';
import { Dec, dec } from '../src/engine/decimal';
import { ExactSum, millionths } from '../src/engine/exact-sum';

/** The chain ExactSum must equal: the first value as read, then `Dec.plus` left to right (the engine's old sums). */
const chain = (values: (number | Dec)[]): Dec =>
  values.map((v) => (typeof v === 'number' ? dec(v) : v)).reduce((s, v) => s.plus(v));

const short = fc.tuple(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), fc.integer({ min: 0, max: 6 })).map(([n, d]) => n / 10 ** d);
const value = fc.oneof(
  short,
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
  fc.constantFrom(2 ** 31, 2 ** 31 - 0.001, 2 ** 53, 0.1 + 0.2, 1e-7, -0, 4503599627.370495),
  short.map((v) => dec(v).times(7).div(3)), // a pro-rated share: 40 significant digits
);

describe('ExactSum', () => {
  it('equals the left-to-right Dec chain digit for digit', () => {
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), (values) => {
      const s = new ExactSum();
      for (const v of values) s.add(v);
      expect(s.value().toString()).toBe(chain(values).toString());
    }), { numRuns: 3000 });
  });

  it('keeps short numbers in integer millionths, exactly as decimal.js reads them', () => {
    fc.assert(fc.property(short, (v) => {
      const n = millionths(v);
      expect(n).toBeDefined();
      expect(new Dec(`${n}e-6`).toString()).toBe(dec(v).toString());
    }));
    expect(millionths(0.1 + 0.2)).toBeUndefined(); // 0.30000000000000004
    expect(millionths(2 ** 31)).toBeUndefined();
    expect(millionths(-0)).toBeUndefined();
  });

  it('falls back to Dec once the integer sum would pass 2^53', () => {
    const s = new ExactSum();
    const big = 2_000_000_000.123456;
    for (let i = 0; i < 5000; i++) s.add(big);
    expect(s.value().toString()).toBe(chain(Array.from({ length: 5000 }, () => big)).toString());
  });
});
