import fc from 'fast-check';
import {
  appendCrc,
  characterBits,
  characterMs,
  crc16Modbus,
  crcMatches,
  formatSerialLine,
  frameMs,
  interFrameSilenceMs,
  type SerialLine,
} from '../src';

const line = (baudRate: number, parity: SerialLine['parity'] = 'even', stopBits: 1 | 2 = 1): SerialLine => ({
  baudRate,
  parity,
  dataBits: 8,
  stopBits,
});

/** The bit-by-bit definition (spec §6.2.2), to hold the table-driven CRC to. */
function crcBitwise(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc;
}

describe('CRC-16/MODBUS', () => {
  it('gives the catalogued check value and the specification example', () => {
    expect(crc16Modbus(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
    // Read 10 holding registers of unit 1 from address 0: the frame every Modbus guide prints.
    expect(appendCrc(Buffer.from([1, 3, 0, 0, 0, 10, 0, 0])).toString('hex')).toBe('01030000000ac5cd');
  });

  it('equals the bitwise definition on any bytes, and a flipped bit fails the check', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.nat(), (bytes, flip) => {
        expect(crc16Modbus(bytes)).toBe(crcBitwise(bytes));
        const frame = appendCrc(Buffer.concat([Buffer.from(bytes), Buffer.alloc(2)]));
        expect(crcMatches(frame)).toBe(true);
        const bit = flip % (frame.length * 8);
        frame[bit >> 3] = (frame[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(crcMatches(frame)).toBe(false);
      }),
    );
  });

  it('refuses frames too short to hold a CRC', () => {
    expect(crcMatches(Buffer.from([0xff, 0xff]))).toBe(false);
  });
});

describe('serial line timing', () => {
  it('counts start, data, parity and stop bits', () => {
    expect(characterBits(line(9600))).toBe(11);
    expect(characterBits(line(9600, 'none'))).toBe(10);
    expect(characterBits(line(9600, 'none', 2))).toBe(11);
    expect(characterMs(line(9600))).toBeCloseTo(11 / 9.6, 12);
    expect(frameMs(line(19200), 8)).toBeCloseTo((8 * 11) / 19.2, 12);
  });

  it('separates frames by 3.5 characters up to 19,200 baud and by 1.75 ms above', () => {
    expect(interFrameSilenceMs(line(9600))).toBeCloseTo((3.5 * 11) / 9.6, 12);
    expect(interFrameSilenceMs(line(19200, 'none'))).toBeCloseTo((3.5 * 10) / 19.2, 12);
    expect(interFrameSilenceMs(line(38400))).toBe(1.75);
    expect(interFrameSilenceMs(line(115200, 'none'))).toBe(1.75);
  });

  it('writes a line as a meter display does', () => {
    expect(formatSerialLine(line(9600))).toBe('9600 8E1');
    expect(formatSerialLine(line(38400, 'none', 2))).toBe('38400 8N2');
  });
});
