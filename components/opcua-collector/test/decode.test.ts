import { DataType, DataValue, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { applyScale, decodeDataValue, int64PairToBigInt } from '../src/decode';
import { parseNodeId } from '../src/node-id';
import { resolveNodeId } from '../src/resolve-node-id';

jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);

const dv = (dataType: DataType, value: unknown, statusCode = StatusCodes.Good) =>
  new DataValue({ value: new Variant({ dataType, arrayType: VariantArrayType.Scalar, value }), statusCode });

describe('64-bit integers from [high, low] pairs', () => {
  test.each([
    [[0, 0], false, 0n],
    [[0, 0xffffffff], false, 4294967295n],
    [[1, 0], false, 4294967296n],
    [[0x001fffff, 0xffffffff], false, 2n ** 53n - 1n],
    [[0xffffffff, 0xffffffff], false, 2n ** 64n - 1n],
    [[0xffffffff, 0xffffffff], true, -1n],
    [[0x80000000, 0], true, -(2n ** 63n)],
    [[0x7fffffff, 0xffffffff], true, 2n ** 63n - 1n],
  ])('%j signed=%s → %s', (pair, signed, expected) => {
    expect(int64PairToBigInt(pair as [number, number], signed)).toBe(expected);
  });

  test('exact up to 2^53, inexact above is uncertain with the exact value named', () => {
    expect(decodeDataValue(dv(DataType.UInt64, [0x001fffff, 0xffffffff]), 1)).toEqual({
      value: 2 ** 53 - 1,
      quality: 'good',
    });
    expect(decodeDataValue(dv(DataType.UInt64, [0x00200000, 0]), 1)).toEqual({ value: 2 ** 53, quality: 'good' });
    expect(decodeDataValue(dv(DataType.UInt64, [0xffffffff, 0xffffffff]), 1)).toEqual({
      value: 2 ** 64,
      quality: 'uncertain',
      reason: 'inexact: UInt64 18446744073709551615 exceeds 2^53; nearest double kept',
    });
    expect(decodeDataValue(dv(DataType.Int64, [0xffffffff, 0xfffffffe]), 1)).toEqual({ value: -2, quality: 'good' });
  });
});

describe('status codes and values', () => {
  test('Bad → null value with the status name; Uncertain keeps the value', () => {
    expect(decodeDataValue(dv(DataType.Double, 5, StatusCodes.BadCommunicationError), 1)).toEqual({
      value: null,
      quality: 'bad',
      reason: 'BadCommunicationError',
    });
    expect(decodeDataValue(dv(DataType.Double, 5, StatusCodes.UncertainSensorNotAccurate), 1)).toEqual({
      value: 5,
      quality: 'uncertain',
      reason: 'UncertainSensorNotAccurate',
    });
    expect(decodeDataValue(dv(DataType.UInt32, 7, StatusCodes.GoodClamped), 1)).toEqual({ value: 7, quality: 'good' });
  });

  test('non-finite, non-numeric and array values are bad decode errors', () => {
    expect(decodeDataValue(dv(DataType.Double, NaN), 1)).toMatchObject({
      value: null,
      quality: 'bad',
      reason: 'ERR_DECODE: non-finite value NaN',
    });
    expect(decodeDataValue(dv(DataType.Float, Infinity), 1)).toMatchObject({
      quality: 'bad',
      reason: 'ERR_DECODE: non-finite value Infinity',
    });
    expect(decodeDataValue(dv(DataType.String, 'x'), 1)).toMatchObject({
      quality: 'bad',
      reason: 'ERR_DECODE: unsupported data type String',
    });
    const arr = new DataValue({
      value: new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1, 2] }),
    });
    expect(decodeDataValue(arr, 1)).toMatchObject({ quality: 'bad', reason: 'ERR_DECODE: arrays are not supported' });
    expect(decodeDataValue(dv(DataType.Boolean, true), 1)).toEqual({ value: 1, quality: 'good' });
  });

  test('scale by 1/n divides, so decimal results are correctly rounded', () => {
    expect(9 * 0.001).not.toBe(0.009); // why: multiplying by binary 0.001 is not correctly rounded
    expect(applyScale(9, 0.001)).toBe(0.009);
    expect(applyScale(1234567, 0.001)).toBe(1234.567);
    expect(applyScale(15, 0.1)).toBe(1.5);
    expect(applyScale(3, 2.5)).toBe(7.5);
    expect(decodeDataValue(dv(DataType.UInt64, [0, 1234567]), 0.001)).toEqual({ value: 1234.567, quality: 'good' });
  });
});

describe('node ids', () => {
  test('parses ns, nsu and bare forms', () => {
    expect(parseNodeId('ns=3;s=Meter.1;Energy')).toEqual({
      namespaceIndex: 3,
      type: 's',
      identifier: 'Meter.1;Energy',
    });
    expect(parseNodeId('nsu=urn:acme:meters;s=E1')).toEqual({
      namespaceUri: 'urn:acme:meters',
      type: 's',
      identifier: 'E1',
    });
    expect(parseNodeId('i=2258')).toEqual({ namespaceIndex: 0, type: 'i', identifier: '2258' });
    expect(parseNodeId('ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a')).toMatchObject({ type: 'g' });
  });

  test.each([
    ['ns=2;x=1', /not a node id/],
    ['ns=;s=a', /namespace index must be an integer/],
    ['ns=70000;s=a', /namespace index must be an integer/],
    ['ns=2;s=', /empty string identifier/],
    ['i=-1', /numeric identifier/],
    ['ns=1;g=nope', /GUID identifier/],
    ['ns=1;b=***', /base64/],
  ])('%s is rejected', (text, message) => {
    expect(parseNodeId(text)).toEqual(expect.stringMatching(message));
  });

  test('nsu resolves through the namespace array', () => {
    const parsed = parseNodeId('nsu=urn:b;s=E1');
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(String(resolveNodeId(parsed, ['http://opcfoundation.org/UA/', 'urn:a', 'urn:b']))).toBe('ns=2;s=E1');
    expect(resolveNodeId(parsed, ['http://opcfoundation.org/UA/'])).toBe(
      "namespace urn:b is not in the server's NamespaceArray",
    );
  });
});
