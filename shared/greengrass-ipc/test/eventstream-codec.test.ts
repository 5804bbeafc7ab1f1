import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import {
  createFrameDecoder,
  encodeMessage,
  type EventStreamMessage,
  FrameError,
} from '../../../test-support/greengrass-ipc-server/eventstream-codec';

const sample: EventStreamMessage = {
  headers: {
    ':message-type': { type: 'int32', value: 0 },
    ':stream-id': { type: 'int32', value: 7 },
    operation: { type: 'string', value: 'aws.greengrass#GetConfiguration' },
    flag: { type: 'bool', value: true },
    off: { type: 'bool', value: false },
    b: { type: 'byte', value: -3 },
    s: { type: 'int16', value: 1234 },
    l: { type: 'int64', value: -5n },
    t: { type: 'timestamp', value: 1700000000000n },
    raw: { type: 'bytes', value: Buffer.from([1, 2, 3]) },
    id: { type: 'uuid', value: Buffer.alloc(16, 0xab) },
  },
  payload: Buffer.from('{"keyPath":["a"]}'),
};

describe('eventstream framing', () => {
  it('lays out prelude, headers, payload and CRCs as the format defines', () => {
    const frame = encodeMessage({
      headers: { 'content-type': { type: 'string', value: 'application/json' } },
      payload: Buffer.from("{'foo':'bar'}"),
    });
    // Known-good vector from aws-c-event-stream's test suite (as published by its parsers).
    expect(frame.toString('hex')).toBe(
      '0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b27666f6f273a27626172277d8d9c08b1',
    );
    expect(frame.readUInt32BE(8)).toBe(crc32(frame.subarray(0, 8)));
  });

  it('round-trips every header type', () => {
    const [decoded] = createFrameDecoder().push(encodeMessage(sample));
    expect(decoded).toEqual(sample);
  });

  it('reassembles messages split at any byte boundary', () => {
    const two = Buffer.concat([encodeMessage(sample), encodeMessage({ headers: {}, payload: Buffer.from('x') })]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: two.length - 1 }), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const d = createFrameDecoder();
        const out: EventStreamMessage[] = [];
        let from = 0;
        for (const p of [...points, two.length]) {
          out.push(...d.push(two.subarray(from, p)));
          from = p;
        }
        expect(out).toHaveLength(2);
        expect(out[1]?.payload.toString()).toBe('x');
      }),
    );
  });

  it('rejects a corrupted prelude, payload or length', () => {
    const good = encodeMessage(sample);
    const badPrelude = Buffer.from(good);
    badPrelude[5] = (badPrelude[5] as number) ^ 0xff;
    expect(() => createFrameDecoder().push(badPrelude)).toThrow(/prelude CRC/);
    const badBody = Buffer.from(good);
    badBody[good.length - 6] = (badBody[good.length - 6] as number) ^ 0x01;
    expect(() => createFrameDecoder().push(badBody)).toThrow(/message CRC/);
    const tooShort = Buffer.alloc(12);
    tooShort.writeUInt32BE(8, 0);
    tooShort.writeUInt32BE(crc32(tooShort.subarray(0, 8)), 8);
    expect(() => createFrameDecoder().push(tooShort)).toThrow(FrameError);
  });

  it('rejects a header block with an unknown value type', () => {
    const headers = Buffer.from([1, 0x61, 42]);
    const total = 16 + headers.length;
    const frame = Buffer.alloc(total);
    frame.writeUInt32BE(total, 0);
    frame.writeUInt32BE(headers.length, 4);
    frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
    headers.copy(frame, 12);
    frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
    expect(() => createFrameDecoder().push(frame)).toThrow(/unknown value type 42/);
  });
});
