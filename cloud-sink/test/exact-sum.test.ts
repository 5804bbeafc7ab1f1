import fc from 'fast-check';
import { Dec, dec } from '@pcf-edge/pcf-engine';
import { ExactSum, millionths } from '@pcf-edge/pcf-engine';

/** The chain ExactSum must equal: the first value as read, then `Dec.plus` left to right (the engine's old sums). */
const chain = (values: (number | Dec)[]): Dec =>
  values.map((v) => (typeof v === 'number' ? dec(v) : v)).reduce((s, v) => s.plus(v));

const short = fc
  .tuple(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), fc.integer({ min: 0, max: 6 }))
  .map(([n, d]) => n / 10 ** d);
const value = fc.oneof(
  short,
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
  fc.constantFrom(2 ** 31, 2 ** 31 - 0.001, 2 ** 53, 0.1 + 0.2, 1e-7, -0, 4503599627.370495),
  short.map((v) => dec(v).times(7).div(3)), // a pro-rated share: 40 significant digits
);

/** Arithmetic 2: the short numbers summed exactly, plus the chain of the others, added once at the end. */
const split = (values: (number | Dec)[]): Dec => {
  const isShort = (v: number | Dec) => typeof v === 'number' && millionths(v) !== undefined;
  const shorts = values
    .filter(isShort)
    .reduce<Dec>((s, v) => s.plus(new Dec(`${millionths(v as number)}e-6`)), new Dec(0));
  const others = values.filter((v) => !isShort(v));
  return others.length === 0 ? shorts : shorts.plus(chain(others).plus(0));
};

describe('ExactSum', () => {
  it('arithmetic 1 equals the left-to-right Dec chain digit for digit', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), (values) => {
        const s = new ExactSum(1);
        for (const v of values) s.add(v);
        expect(s.value().toString()).toBe(chain(values).toString());
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 3000) },
    );
  });

  it('keeps short numbers in integer millionths, exactly as decimal.js reads them', () => {
    fc.assert(
      fc.property(short, (v) => {
        const n = millionths(v);
        expect(n).toBeDefined();
        expect(new Dec(`${n}e-6`).toString()).toBe(dec(v).toString());
      }),
    );
    expect(millionths(0.1 + 0.2)).toBeUndefined(); // 0.30000000000000004
    expect(millionths(2 ** 31)).toBeUndefined();
    expect(millionths(-0)).toBeUndefined();
  });

  it('arithmetic 2 sums short numbers exactly and chains the others apart, in any grouping of the short ones', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (values, cut) => {
        const s = new ExactSum(2);
        for (const v of values) s.add(v);
        expect(s.value().toString()).toBe(split(values).toString());
        // a group of short values added as one integer (the aggregated read) gives the same sum
        const g = new ExactSum(2);
        let units = 0;
        values.forEach((v, i) => {
          const n = typeof v === 'number' ? millionths(v) : undefined;
          if (i < cut && n !== undefined) {
            // a group's SQL sum past 2^53 is not used (the rows decide): the harness flushes before it would be
            if (!Number.isSafeInteger(units + n)) {
              g.addUnits(units);
              units = 0;
            }
            units += n;
          } else g.add(v);
        });
        g.addUnits(units);
        expect(g.value().toString()).toBe(s.value().toString());
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 3000) },
    );
    // a pro-rated share then short values: the two arithmetics differ in rounding order, and only there
    const third = dec(1).div(3).times(1e9);
    const a1 = new ExactSum(1),
      a2 = new ExactSum(2);
    for (const v of [third, 0.5, 1_000_000_000, 123.456]) {
      a1.add(v);
      a2.add(v);
    }
    expect(a2.value().toString()).toBe(new Dec('1000000123.956').plus(third).toString());
    expect(a1.value().toString()).toBe(chain([third, 0.5, 1_000_000_000, 123.456]).toString());
  });

  it('addUnits is for arithmetic 2 and safe integers only', () => {
    expect(() => new ExactSum(1).addUnits(5)).toThrow(/arithmetic 2/);
    expect(() => new ExactSum(2).addUnits(2 ** 53)).toThrow(/safe integer/);
  });

  it('falls back to Dec once the integer sum would pass 2^53 (both arithmetics)', () => {
    const big = 2_000_000_000.123456;
    for (const arithmetic of [1, 2] as const) {
      const s = new ExactSum(arithmetic);
      for (let i = 0; i < 5000; i++) s.add(big);
      expect(s.value().toString()).toBe(chain(Array.from({ length: 5000 }, () => big)).toString());
    }
  });
});
