import fc from 'fast-check';
import { add, Dec, mul } from '../src';

/** Decimal literals as reference data and arithmetic give them: 1 and 0 often, up to 50 significant digits. */
const literal = fc.oneof(
  fc.constantFrom('1', '1.000', '0', '-0', '0.000', '-1', '10', '0.1'),
  fc
    .tuple(
      fc.boolean(),
      fc.stringMatching(/^[1-9][0-9]{0,24}$/),
      fc.stringMatching(/^[0-9]{0,25}$/),
      fc.integer({ min: -30, max: 10 }),
    )
    .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}e${exp}`),
  // 36 to 50 significant digits: around the precision, where a copy by times or plus rounds
  fc
    .tuple(fc.boolean(), fc.integer({ min: 36, max: 50 }), fc.integer({ min: 1, max: 2 ** 31 }))
    .map(([neg, n, seed]) => `${neg ? '-' : ''}0.${String(seed).padEnd(n, String(seed % 10))}`),
);
/** A literal as read, or as it comes out of arithmetic (finalised at 40 digits). */
const operand = fc.oneof(
  literal.map((s) => new Dec(s)),
  fc.tuple(literal, literal).map(([a, b]) => new Dec(a).times(new Dec(b))),
);
/** Everything that tells two Decimals apart: sign (also of zero), exponent, digit words. */
const same = (a: Dec, b: Dec) => expect({ s: a.s, e: a.e, d: a.d }).toEqual({ s: b.s, e: b.e, d: b.d });

describe('mul and add: Decimal times and plus, digit for digit', () => {
  it('mul(a, b) is a.times(b) and b.times(a)', () => {
    fc.assert(
      fc.property(operand, operand, (a, b) => {
        same(mul(a, b), a.times(b));
        same(mul(b, a), a.times(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('add(a, b) is a.plus(b) and b.plus(a)', () => {
    fc.assert(
      fc.property(operand, operand, (a, b) => {
        same(add(a, b), a.plus(b));
        same(add(b, a), a.plus(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('a literal longer than 40 digits is rounded as times and plus round it', () => {
    const long = new Dec('1.23456789012345678901234567890123456789012345');
    expect(mul(new Dec(1), long).toString()).toBe('1.23456789012345678901234567890123456789');
    expect(add(new Dec(0), long).toString()).toBe('1.23456789012345678901234567890123456789');
    expect(long.toString()).toBe('1.23456789012345678901234567890123456789012345');
  });
});
