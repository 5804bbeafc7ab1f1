import { appendCrc } from '@pcf-edge/profiles';
import { encodeRtuReadRequest, expectedRtuReplyBytes, parseRtuReply, rtuReplyBytes } from '../src/rtu';

/** A frame from its bytes without CRC, the CRC appended. */
const frame = (...bytes: number[]) => appendCrc(Buffer.from([...bytes, 0, 0]));

describe('Modbus RTU framing', () => {
  it('encodes a read request with its CRC low byte first', () => {
    expect(encodeRtuReadRequest(1, 3, 0, 10).toString('hex')).toBe('01030000000ac5cd');
    expect(encodeRtuReadRequest(17, 4, 0x0048, 2)).toEqual(frame(17, 4, 0x00, 0x48, 0x00, 0x02));
  });

  it('knows the length of the reply a read implies', () => {
    expect(rtuReplyBytes(3, 10)).toBe(25);
    expect(rtuReplyBytes(4, 1)).toBe(7);
    expect(rtuReplyBytes(1, 9)).toBe(7);
    expect(rtuReplyBytes(2, 8)).toBe(6);
  });

  it('judges the expected length from the first two bytes received', () => {
    const head = Buffer.from([5, 3, 4]);
    expect(expectedRtuReplyBytes(head, 1, 5, 3, 2)).toBe(0);
    expect(expectedRtuReplyBytes(head, 3, 5, 3, 2)).toBe(9);
    expect(expectedRtuReplyBytes(Buffer.from([5, 0x83]), 2, 5, 3, 2)).toBe(5);
    expect(expectedRtuReplyBytes(Buffer.from([6, 3]), 2, 5, 3, 2)).toBe(0);
    expect(expectedRtuReplyBytes(Buffer.from([5, 4]), 2, 5, 3, 2)).toBe(0);
  });

  it('parses registers, bits LSB first, and exceptions', () => {
    expect(parseRtuReply(frame(1, 3, 4, 0x12, 0x34, 0xff, 0xfe), 1, 3)).toEqual({ data: [0x1234, 0xfffe] });
    expect(parseRtuReply(frame(1, 2, 1, 0b00000101), 1, 2)).toEqual({
      data: [true, false, true, false, false, false, false, false],
    });
    expect(parseRtuReply(frame(1, 0x84, 2), 1, 4)).toEqual({ exception: 2 });
  });

  it('checks the CRC before anything else', () => {
    const good = frame(1, 3, 2, 0, 7);
    const bad = Buffer.from(good);
    bad[4] = 8;
    expect(parseRtuReply(bad, 1, 3)).toEqual({ crcError: true });
    const wrongUnitBadCrc = Buffer.from(good);
    wrongUnitBadCrc[0] = 9;
    expect(parseRtuReply(wrongUnitBadCrc, 1, 3)).toEqual({ crcError: true });
  });

  it('names what is wrong with a frame whose CRC is right', () => {
    expect(parseRtuReply(frame(2, 3, 2, 0, 7), 1, 3)).toEqual({ malformed: 'unit id 2, expected 1' });
    expect(parseRtuReply(frame(1, 4, 2, 0, 7), 1, 3)).toEqual({ malformed: 'function code 4, expected 3' });
    expect(parseRtuReply(frame(1, 3, 4, 0, 7), 1, 3)).toEqual({ malformed: 'byte count 4 in a reply of 7 bytes' });
    expect(parseRtuReply(frame(1, 3, 3, 0, 7, 1), 1, 3)).toEqual({ malformed: 'odd byte count 3 for registers' });
    expect(parseRtuReply(frame(1, 0x83, 2, 0), 1, 3)).toEqual({ malformed: 'exception reply of 6 bytes' });
  });
});
