import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { aduLength, encodeReadRequest, parseReadReply } from '../src/mbap';
import { FUNCTION_CODE, type ReadRequest } from '../src/planner';
import { TcpLink } from '../src/tcp-link';
import { device, log, startTestDevice } from './support';

const run = promisify(execFile);
const adu = (...bytes: number[]) => Buffer.from(bytes);

describe('MBAP framing', () => {
  it('encodes a read request as the standard lays it out', () => {
    expect([...encodeReadRequest(0x1234, 17, 3, 0x6b, 3)]).toEqual([
      0x12, 0x34, 0, 0, 0, 6, 17, 3, 0x00, 0x6b, 0x00, 0x03,
    ]);
  });

  it('reads the frame length from the header, or says it is incomplete or impossible', () => {
    expect(aduLength(adu(0, 1, 0, 0, 0), 0)).toBe(0);
    expect(aduLength(adu(0, 1, 0, 0, 0, 5, 1), 0)).toBe(11);
    expect(aduLength(adu(9, 0, 1, 0, 0, 0, 0, 3), 2)).toBe(9);
    expect(aduLength(adu(0, 1, 0, 0, 0, 1), 0)).toBe(-1);
    expect(aduLength(adu(0, 1, 0, 0, 0, 255), 0)).toBe(-1);
  });

  it('parses registers, bits (LSB first) and exceptions', () => {
    expect(parseReadReply(adu(0, 1, 0, 0, 0, 7, 5, 3, 4, 0x12, 0x34, 0xff, 0xfe), 5, 3)).toEqual({
      data: [0x1234, 0xfffe],
    });
    const bits = parseReadReply(adu(0, 1, 0, 0, 0, 4, 5, 1, 1, 0b1000_0101), 5, 1);
    expect(bits).toEqual({ data: [true, false, true, false, false, false, false, true] });
    expect(parseReadReply(adu(0, 1, 0, 0, 0, 3, 5, 0x84, 2), 5, 4)).toEqual({ exception: 2 });
  });

  it.each([
    ['a protocol id other than 0', adu(0, 1, 0, 1, 0, 5, 5, 3, 2, 0, 7), /protocol id 1/],
    ['another unit id', adu(0, 1, 0, 0, 0, 5, 6, 3, 2, 0, 7), /unit id 6, expected 5/],
    ['another function code', adu(0, 1, 0, 0, 0, 5, 5, 4, 2, 0, 7), /function code 4, expected 3/],
    ['a byte count the frame does not hold', adu(0, 1, 0, 0, 0, 4, 5, 3, 9, 0xff), /byte count 9/],
    ['an odd byte count for registers', adu(0, 1, 0, 0, 0, 4, 5, 3, 1, 7), /odd byte count 1/],
    ['an exception reply with extra bytes', adu(0, 1, 0, 0, 0, 4, 5, 0x83, 2, 0), /exception reply of 10 bytes/],
    ['no byte count', adu(0, 1, 0, 0, 0, 2, 5, 3), /byte count -1/],
  ])('calls a reply with %s malformed', (_what, frame, reason) => {
    const r = parseReadReply(frame, 5, 3);
    expect('malformed' in r && r.malformed).toMatch(reason);
  });
});

describe('TcpLink against an independent client (mbpoll)', () => {
  /** mbpoll's values at 0-based references, as integers. */
  async function mbpoll(port: number, unit: number, type: string, ref: number, count: number): Promise<number[]> {
    const { stdout } = await run(
      'mbpoll',
      ['-m', 'tcp', '-p', String(port), '-a', String(unit), '-0', '-1', '-t', type, '-r', String(ref)].concat([
        '-c',
        String(count),
        '127.0.0.1',
      ]),
      { timeout: 20_000 },
    );
    return [...stdout.matchAll(/^\[\d+\]:\s+(\S+)/gm)].map((m) => Number(m[1]));
  }

  it('reads the same holding and input registers, coils and discrete inputs as mbpoll', async () => {
    const dev = await startTestDevice();
    const link = new TcpLink(device('d1', dev.port), log);
    try {
      const words = Array.from({ length: 40 }, (_, i) => (i * 7919 + 13) & 0xffff);
      dev.set('holding', 3, 100, words);
      dev.set('input', 3, 7, words.slice(0, 12).reverse());
      const bits = [1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0];
      dev.set('coil', 3, 20, bits);
      dev.set('discrete', 3, 3, bits.slice(2));
      const cases: [ReadRequest['table'], string, number, number][] = [
        ['holding', '4:hex', 100, 40],
        ['input', '3:hex', 7, 12],
        ['coil', '0', 20, bits.length],
        ['discrete', '1', 3, bits.length - 2],
      ];
      for (const [table, type, address, count] of cases) {
        const request: ReadRequest = {
          unitId: 3,
          table,
          functionCode: FUNCTION_CODE[table],
          address,
          count,
          points: [],
        };
        const { data } = await link.read(request);
        const ours = data.slice(0, count).map(Number);
        expect(ours).toEqual(await mbpoll(dev.port, 3, type, address, count));
      }
    } finally {
      await link.close();
      await dev.close();
    }
  });
});
