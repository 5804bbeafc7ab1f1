import { isPcfError } from '@pcf-edge/core';
import { decodePayload, encodeFrame, encodeFrameParts, encodePayload, FrameParser, int64, toWire } from '../src';

describe('CBOR payloads', () => {
  it('round-trips int64 beyond 2^53 as bigint, maps as plain objects, byte strings as Buffer', () => {
    const seq = 2n ** 62n + 12345n;
    const body = decodePayload(
      encodePayload({ requestId: 'r', sequenceNumber: seq, payload: Buffer.from('abc'), nested: { n: 7 } }),
    );
    expect(body.sequenceNumber).toBe(seq);
    expect(Buffer.isBuffer(body.payload)).toBe(true);
    expect((body.payload as Buffer).toString()).toBe('abc');
    expect(Object.getPrototypeOf(body.nested)).toBe(Object.prototype);
    expect(body.nested).toEqual({ n: 7 });
  });

  it('decodes byte strings as views into the payload only when asked', () => {
    const bytes = encodePayload({ payload: Buffer.from('abc') });
    const copy = decodePayload(bytes).payload as Buffer;
    const view = decodePayload(bytes, { byteStrings: 'views' }).payload as Buffer;
    expect(Buffer.isBuffer(view)).toBe(true);
    expect(view.toString()).toBe('abc');
    expect(view.buffer).toBe(bytes.buffer);
    expect(copy.buffer).not.toBe(bytes.buffer);
  });

  it('omits absent and null fields instead of writing CBOR null/undefined', () => {
    const bytes = encodePayload({ a: 1, b: undefined, c: null, d: [{ e: undefined, f: 2 }] });
    expect(decodePayload(bytes)).toEqual({ a: 1, d: [{ f: 2 }] });
    expect(bytes.includes(0xf6)).toBe(false);
    expect(bytes.includes(0xf7)).toBe(false);
  });

  it('writes integers above 2^32 as CBOR integers, not floats', () => {
    expect(toWire(2 ** 40)).toBe(2n ** 40n);
    const bytes = encodePayload({ maxSize: 2 ** 40 });
    expect(bytes.includes(0xfb)).toBe(false);
    expect(int64(decodePayload(bytes).maxSize, 'maxSize')).toBe(2n ** 40n);
  });

  it('accepts indefinite-length maps', () => {
    // {_ "requestId": "x", "status": 0 }
    const bytes = Buffer.concat([
      Buffer.from([0xbf, 0x69]),
      Buffer.from('requestId'),
      Buffer.from([0x61, 0x78, 0x66]),
      Buffer.from('status'),
      Buffer.from([0x00, 0xff]),
    ]);
    expect(decodePayload(bytes)).toEqual({ requestId: 'x', status: 0 });
  });

  it('rejects payloads that are not a CBOR map, or not CBOR', () => {
    expect(() => decodePayload(Buffer.from([0x83, 1, 2, 3]))).toThrow(/not a CBOR map/);
    let err: unknown;
    try {
      decodePayload(Buffer.from([0xbf, 0x61]));
    } catch (e) {
      err = e;
    }
    expect(isPcfError(err, 'ERR_SM_PROTOCOL')).toBe(true);
  });

  it('encodes a reply of many small items well above 64 KiB without truncation', () => {
    const messages = Array.from({ length: 2000 }, (_, i) => ({
      streamName: 's',
      sequenceNumber: BigInt(i),
      ingestTime: 1_700_000_000_000 + i,
      payload: Buffer.alloc(100, i % 256),
    }));
    const bytes = encodePayload({ requestId: 'r', status: 0, messages });
    expect(bytes.length).toBeGreaterThan(200_000);
    const back = decodePayload(bytes).messages as { sequenceNumber: number | bigint; payload: Buffer }[];
    expect(back).toHaveLength(2000);
    expect(back[1999]!.payload.equals(Buffer.alloc(100, 1999 % 256))).toBe(true);
    expect(BigInt(back[1999]!.sequenceNumber)).toBe(1999n);
  });
});

describe('encodeFrameParts', () => {
  it('frames the same map as encodeFrame, passing large byte strings by reference', () => {
    for (const size of [1, 100, 4095, 4096, 65_535, 65_536, 300_000]) {
      const payload = Buffer.alloc(size, size % 251);
      const body = { name: 'stream-1', payload, requestId: 'r-1', none: undefined, big: 2 ** 40 };
      const parts = encodeFrameParts(11, body);
      expect(parts.includes(payload)).toBe(size >= 4096);
      const [frame] = new FrameParser(false).push(Buffer.concat(parts));
      const reference = new FrameParser(false).push(encodeFrame(11, encodePayload(body)))[0]!;
      expect(frame!.op).toBe(11);
      expect(frame!.payload.length).toBe(reference.payload.length);
      expect(decodePayload(frame!.payload)).toEqual(decodePayload(reference.payload));
    }
  });

  it('handles several large byte strings and a body of only small fields', () => {
    const a = Buffer.alloc(5000, 1);
    const b = Buffer.alloc(70_000, 2);
    const frames = new FrameParser(false).push(
      Buffer.concat([...encodeFrameParts(4, { a, b, n: 3 }), ...encodeFrameParts(5, { requestId: 'x' })]),
    );
    expect(frames.map((f) => f.op)).toEqual([4, 5]);
    expect(decodePayload(frames[0]!.payload)).toEqual({ a, b, n: 3 });
    expect(decodePayload(frames[1]!.payload)).toEqual({ requestId: 'x' });
  });
});

describe('FrameParser', () => {
  const frames = [
    encodeFrame(4, encodePayload({ requestId: 'a' })),
    encodeFrame(9, encodePayload({ requestId: 'b', big: Buffer.alloc(70_000, 7) })),
  ];
  const stream = Buffer.concat([Buffer.from([1]), ...frames]);

  it('reads frames fed one byte at a time', () => {
    const p = new FrameParser(true);
    const out = [];
    for (let i = 0; i < stream.length; i++) out.push(...p.push(stream.subarray(i, i + 1)));
    expect(p.versionByte).toBe(1);
    expect(out.map((f) => f.op)).toEqual([4, 9]);
    expect(decodePayload(out[1]!.payload).requestId).toBe('b');
    expect(p.pendingBytes).toBe(0);
  });

  it('reads several frames from one chunk and keeps a partial tail', () => {
    const p = new FrameParser(true);
    const extra = encodeFrame(11, encodePayload({ requestId: 'c' }));
    const out = p.push(Buffer.concat([stream, extra.subarray(0, 3)]));
    expect(out.map((f) => f.op)).toEqual([4, 9]);
    expect(p.pendingBytes).toBe(3);
    expect(p.push(extra.subarray(3)).map((f) => f.op)).toEqual([11]);
  });

  it('rejects a length outside 1…max with ERR_SM_PROTOCOL', () => {
    const zero = Buffer.from([0, 0, 0, 0, 1]);
    expect(() => new FrameParser(false).push(zero)).toThrow(/invalid frame length 0/);
    const huge = Buffer.from([0x7f, 0, 0, 0, 1]);
    expect(() => new FrameParser(false).push(huge)).toThrow(/invalid frame length/);
    const negative = Buffer.from([0xff, 0xff, 0xff, 0xfb, 1]);
    expect(() => new FrameParser(false, 1024).push(negative)).toThrow(/invalid frame length -5/);
  });
});
