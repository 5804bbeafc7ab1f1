import { isPcfError } from '@pcf-edge/core';
import { decodeRaw, encodeRaw, intRange, registerCount, type RegisterType, type WordOrder } from '../src';

const ORDERS: WordOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
const INT_TYPES: RegisterType[] = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];

function samples(type: RegisterType): (number | bigint)[] {
  const { min, max } = intRange(type);
  const wide = type === 'int64' || type === 'uint64';
  const conv = (v: bigint): number | bigint => (wide ? v : Number(v));
  const base = [min, min + 1n, 0n, 1n, max - 1n, max, max / 3n];
  if (min < 0n) base.push(-1n, -12345n, min / 7n);
  if (wide) base.push(2n ** 53n, 2n ** 53n + 1n, 2n ** 62n + 12345n);
  return base.filter((v) => v >= min && v <= max).map(conv);
}

function expectCodec(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isPcfError(err, 'ERR_CODEC')).toBe(true);
}

describe('registerCount', () => {
  it.each([
    ['int16', 1],
    ['uint16', 1],
    ['int32', 2],
    ['uint32', 2],
    ['float32', 2],
    ['int64', 4],
    ['uint64', 4],
    ['float64', 4],
  ] as const)('%s uses %d registers', (type, n) => expect(registerCount(type)).toBe(n));
});

describe('integer round trip for every type × word order, including limits', () => {
  for (const type of INT_TYPES) {
    for (const order of ORDERS) {
      it(`${type} ${order}`, () => {
        for (const v of samples(type)) {
          const words = encodeRaw(v, type, order);
          expect(words).toHaveLength(registerCount(type));
          for (const w of words) expect(w >= 0 && w <= 0xffff).toBe(true);
          expect(decodeRaw(words, type, order)).toStrictEqual(v);
        }
      });
    }
  }
});

describe('float round trip for every type × word order', () => {
  const f32 = [
    0,
    1,
    -1,
    1.5,
    Math.fround(123456.789),
    -Math.fround(3.4e38),
    Math.fround(1e-40),
    3.4028234663852886e38,
    Infinity,
    -Infinity,
  ];
  const f64 = [0, 1, -1, 0.1, 123456789.123456, Number.MAX_VALUE, -Number.MIN_VALUE, 2 ** 53 + 2, Infinity, -Infinity];
  for (const order of ORDERS) {
    it(`float32 ${order}`, () => {
      for (const v of f32) expect(decodeRaw(encodeRaw(v, 'float32', order), 'float32', order)).toBe(v);
      expect(decodeRaw(encodeRaw(NaN, 'float32', order), 'float32', order)).toBeNaN();
      expect(Object.is(decodeRaw(encodeRaw(-0, 'float32', order), 'float32', order), -0)).toBe(true);
    });
    it(`float64 ${order}`, () => {
      for (const v of f64) expect(decodeRaw(encodeRaw(v, 'float64', order), 'float64', order)).toBe(v);
      expect(decodeRaw(encodeRaw(NaN, 'float64', order), 'float64', order)).toBeNaN();
      expect(Object.is(decodeRaw(encodeRaw(-0, 'float64', order), 'float64', order), -0)).toBe(true);
    });
  }
  it('float32 rounds a double to the nearest float32', () => {
    expect(decodeRaw(encodeRaw(0.1, 'float32', 'ABCD'), 'float32', 'ABCD')).toBe(Math.fround(0.1));
  });
});

describe('known vectors', () => {
  it('float32 1.0 in each order', () => {
    expect(encodeRaw(1, 'float32', 'ABCD')).toEqual([0x3f80, 0x0000]);
    expect(encodeRaw(1, 'float32', 'CDAB')).toEqual([0x0000, 0x3f80]);
    expect(encodeRaw(1, 'float32', 'BADC')).toEqual([0x803f, 0x0000]);
    expect(encodeRaw(1, 'float32', 'DCBA')).toEqual([0x0000, 0x803f]);
  });
  it('int32 0x12345678 in each order', () => {
    expect(encodeRaw(0x12345678, 'int32', 'ABCD')).toEqual([0x1234, 0x5678]);
    expect(encodeRaw(0x12345678, 'int32', 'CDAB')).toEqual([0x5678, 0x1234]);
    expect(encodeRaw(0x12345678, 'int32', 'BADC')).toEqual([0x3412, 0x7856]);
    expect(encodeRaw(0x12345678, 'int32', 'DCBA')).toEqual([0x7856, 0x3412]);
  });
  it('uint64 0x0102030405060708 in each order', () => {
    const v = 0x0102030405060708n;
    expect(encodeRaw(v, 'uint64', 'ABCD')).toEqual([0x0102, 0x0304, 0x0506, 0x0708]);
    expect(encodeRaw(v, 'uint64', 'CDAB')).toEqual([0x0708, 0x0506, 0x0304, 0x0102]);
    expect(encodeRaw(v, 'uint64', 'BADC')).toEqual([0x0201, 0x0403, 0x0605, 0x0807]);
    expect(encodeRaw(v, 'uint64', 'DCBA')).toEqual([0x0807, 0x0605, 0x0403, 0x0201]);
  });
  it('16-bit: CDAB equals ABCD, BADC and DCBA swap the bytes', () => {
    expect(encodeRaw(0x1234, 'uint16', 'ABCD')).toEqual([0x1234]);
    expect(encodeRaw(0x1234, 'uint16', 'CDAB')).toEqual([0x1234]);
    expect(encodeRaw(0x1234, 'uint16', 'BADC')).toEqual([0x3412]);
    expect(encodeRaw(0x1234, 'uint16', 'DCBA')).toEqual([0x3412]);
  });
  it('negative int16 and int32', () => {
    expect(encodeRaw(-1, 'int16', 'ABCD')).toEqual([0xffff]);
    expect(encodeRaw(-2, 'int32', 'CDAB')).toEqual([0xfffe, 0xffff]);
    expect(decodeRaw([0x8000], 'int16', 'ABCD')).toBe(-32768);
  });
  it('64-bit values decode as bigint, beyond 2^53 exactly', () => {
    expect(decodeRaw([0x0020, 0x0000, 0x0000, 0x0001], 'uint64', 'ABCD')).toBe(2n ** 53n + 1n);
    expect(decodeRaw([0xffff, 0xffff, 0xffff, 0xffff], 'int64', 'ABCD')).toBe(-1n);
    expect(decodeRaw([0xffff, 0xffff, 0xffff, 0xffff], 'uint64', 'ABCD')).toBe(2n ** 64n - 1n);
  });
  it('float32 NaN and infinities', () => {
    expect(encodeRaw(Infinity, 'float32', 'ABCD')).toEqual([0x7f80, 0x0000]);
    expect(decodeRaw([0x7fc0, 0x0000], 'float32', 'ABCD')).toBeNaN();
    expect(decodeRaw([0xff80, 0x0000], 'float32', 'ABCD')).toBe(-Infinity);
  });
});

describe('errors', () => {
  it('rejects out-of-range integers for each type', () => {
    for (const type of INT_TYPES) {
      const { min, max } = intRange(type);
      expectCodec(() => encodeRaw(max + 1n, type, 'ABCD'));
      expectCodec(() => encodeRaw(min - 1n, type, 'ABCD'));
    }
    expectCodec(() => encodeRaw(65536, 'uint16', 'ABCD'));
    expectCodec(() => encodeRaw(-1, 'uint32', 'CDAB'));
    expectCodec(() => encodeRaw(2 ** 31, 'int32', 'ABCD'));
  });
  it('rejects non-integers for integer types', () => {
    expectCodec(() => encodeRaw(1.5, 'int32', 'ABCD'));
    expectCodec(() => encodeRaw(NaN, 'uint16', 'ABCD'));
    expectCodec(() => encodeRaw(Infinity, 'uint64', 'ABCD'));
  });
  it('rejects finite values beyond float32', () => {
    expectCodec(() => encodeRaw(1e39, 'float32', 'ABCD'));
    expect(() => encodeRaw(1e39, 'float64', 'ABCD')).not.toThrow();
  });
  it('rejects a wrong register count or bad words', () => {
    expectCodec(() => decodeRaw([1], 'int32', 'ABCD'));
    expectCodec(() => decodeRaw([0x10000, 0], 'int32', 'ABCD'));
    expectCodec(() => decodeRaw([-1], 'int16', 'ABCD'));
  });
});
