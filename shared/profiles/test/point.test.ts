import fc from 'fast-check';
import { isPcfError } from '@pcf-edge/core';
import {
  decodePoint,
  decodeRaw,
  encodeRaw,
  pointDecoder,
  registerCount,
  defaultModulus,
  divideToInteger,
  encodePoint,
  scaleInteger,
  type PointDefinition,
  type RegisterType,
} from '../src';

function pt(type: RegisterType, scale: number, extra: Partial<PointDefinition> = {}): PointDefinition {
  return {
    name: 'p',
    quantity: 'activeEnergyImport',
    kind: 'counter',
    table: 'holding',
    address: 0,
    type,
    wordOrder: 'ABCD',
    scale,
    offset: 0,
    ...extra,
  };
}

describe('decimal scaling', () => {
  it('multiplies by the decimal the scale names', () => {
    expect(scaleInteger(3n, 0.1)).toBe(0.3);
    expect(scaleInteger(123456789n, 0.001)).toBe(123456.789);
    expect(scaleInteger(-7n, 0.01)).toBe(-0.07);
    expect(scaleInteger(5n, 1e-7)).toBe(5e-7);
    expect(scaleInteger(5n, 1000)).toBe(5000);
  });
  it('divides exactly and rounds half away from zero', () => {
    expect(divideToInteger(0.3, 0.1)).toBe(3n);
    expect(divideToInteger(0.05, 0.1)).toBe(1n);
    expect(divideToInteger(-0.05, 0.1)).toBe(-1n);
    expect(divideToInteger(0.04, 0.1)).toBe(0n);
    expect(divideToInteger(123456.789, 0.001)).toBe(123456789n);
    expect(divideToInteger(1e21, 0.01)).toBe(10n ** 23n);
  });
});

describe('decodePoint / encodePoint', () => {
  it('int64 Wh × 0.001 above 2^53 converts with one correct rounding', () => {
    const p = pt('int64', 0.001);
    const raw = 2n ** 53n + 1n; // 9007199254740993 Wh
    const words = [0x0020, 0x0000, 0x0000, 0x0001];
    expect(decodePoint(words, p)).toBe(Number(`${raw}e-3`));
    expect(decodePoint(words, p)).toBe(9007199254740.993);
  });
  it('int32 CDAB × 0.1 decodes to the decimal value', () => {
    const p = pt('int32', 0.1, { wordOrder: 'CDAB' });
    expect(encodePoint(12345.6, p)).toEqual([123456 & 0xffff, 123456 >>> 16]);
    expect(decodePoint(encodePoint(12345.6, p), p)).toBe(12345.6);
    expect(decodePoint(encodePoint(-0.3, p), p)).toBe(-0.3);
  });
  it('encodePoint rounds to the register resolution', () => {
    const p = pt('uint32', 0.01);
    expect(decodePoint(encodePoint(1.234, p), p)).toBe(1.23);
    expect(decodePoint(encodePoint(1.235, p), p)).toBe(1.24);
  });
  it('offset applies after scaling', () => {
    const p = pt('int16', 0.1, { offset: -40 });
    expect(decodePoint([250], p)).toBe(-15);
    expect(encodePoint(-15, p)).toEqual([250]);
  });
  it('floats pass NaN and infinities through, with scale', () => {
    const p = pt('float32', 0.001);
    expect(decodePoint([0x7fc0, 0], p)).toBeNaN();
    expect(decodePoint([0x7f80, 0], p)).toBe(Infinity);
    expect(decodePoint(encodePoint(NaN, p), p)).toBeNaN();
    expect(decodePoint(encodePoint(12.5, p), p)).toBeCloseTo(12.5, 9);
  });
  it('refuses non-finite values and overflow for integer points', () => {
    const check = (fn: () => unknown): void => {
      try {
        fn();
        throw new Error('expected a throw');
      } catch (e) {
        expect(isPcfError(e, 'ERR_CODEC')).toBe(true);
      }
    };
    check(() => encodePoint(NaN, pt('int32', 1)));
    check(() => encodePoint(655.36, pt('uint16', 0.01)));
    check(() => encodePoint(-0.01, pt('uint64', 0.01)));
  });
  it('round-trips any on-resolution value of a ×0.1 int32 (property)', () => {
    const p = pt('int32', 0.1, { wordOrder: 'CDAB' });
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (raw) => {
        const v = scaleInteger(BigInt(raw), 0.1);
        return decodePoint(encodePoint(v, p), p) === v;
      }),
    );
  });
  it('round-trips any uint64 × 0.01 raw value below 2^53 (property)', () => {
    const p = pt('uint64', 0.01, { wordOrder: 'DCBA' });
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 53n }), (raw) => {
        const v = scaleInteger(raw, 0.01);
        return decodePoint(encodePoint(v, p), p) === v;
      }),
    );
  });
});

describe('defaultModulus', () => {
  it('is 2^bits × scale for unsigned integers only', () => {
    expect(defaultModulus(pt('uint16', 0.01))).toBe(655.36);
    expect(defaultModulus(pt('uint32', 0.01))).toBe(42949672.96);
    expect(defaultModulus(pt('uint64', 0.01))).toBe(184467440737095516.16);
    expect(defaultModulus(pt('int32', 0.1))).toBeUndefined();
    expect(defaultModulus(pt('float32', 1))).toBeUndefined();
  });
});

describe('pointDecoder', () => {
  const TYPES: RegisterType[] = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];
  const ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
  const SCALES = [1, 0.1, 0.01, 0.001, 0.0001, 0.25, 10, 1000, -1, -0.5, 0.123456789, 1e-9, 3e21];

  it('equals the exact bigint scaling of the raw value for every type, order and scale, at any offset', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.constantFrom(...ORDERS),
        fc.constantFrom(...SCALES),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 }),
        (type, order, scale, words, at) => {
          const p = pt(type, scale, { wordOrder: order });
          const raw = decodeRaw(words.slice(at, at + registerCount(type)), type, order);
          const exact = scaleInteger(BigInt(raw), scale) + 0;
          expect(pointDecoder(p)(words, at)).toBe(exact);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('reads floats at an offset like decodePoint', () => {
    const p = pt('float32', 0.5, { wordOrder: 'CDAB', kind: 'gauge', quantity: 'activePower' });
    const words = [9, ...encodeRaw(1234.5, 'float32', 'CDAB')];
    expect(pointDecoder(p)(words, 1)).toBe(617.25);
    expect(decodePoint(words.slice(1), p)).toBe(617.25);
  });
});
