import type { Reading } from '@pcf-edge/core';
import { interFrameSilenceMs } from '@pcf-edge/profiles';
import { openPtyPair, type PtyPair } from '../../../test-support/pty-pair';
import { createModbusCollector, type ModbusCollector } from '../src/collector';
import type { DeviceConfig } from '../src/config';
import {
  echoAddresses,
  registersReply,
  rtuDevice,
  rtuFrame,
  startScriptedSerialBus,
  startScriptedTcpBus,
  startSerialTestDevice,
  type ScriptedBus,
} from './rtu-support';
import { config, log, meter, point, refusedPort } from './support';

const byPoint = (rs: Reading[]) => Object.fromEntries(rs.map((r) => [r.point, r]));
/** Two reads per meter: points 100 registers apart are never coalesced. */
const TWO_READS = [
  point('e', 'activeEnergyImport', 'holding', 10, 'uint32'),
  point('p', 'activePower', 'holding', 200, 'uint16'),
];

let pty: PtyPair;
let collector: ModbusCollector | null = null;
const make = (devices: DeviceConfig[], meters: Parameters<typeof config>[1]) => {
  collector = createModbusCollector(config(devices, meters), { log });
  return collector;
};

beforeEach(async () => {
  pty = await openPtyPair();
});
afterEach(async () => {
  await collector?.stop();
  collector = null;
  await pty.close();
});

describe('RTU link against modbus-serial ServerSerial across a PTY pair', () => {
  it('reads every unit id of the bus, one request at a time', async () => {
    const line = { baudRate: 19200, parity: 'even', dataBits: 8, stopBits: 1 } as const;
    const server = await startSerialTestDevice(pty.b, line);
    try {
      for (const unit of [1, 2, 7]) {
        server.setPoint(unit, TWO_READS[0]!, 1000 + unit);
        server.setPoint(unit, TWO_READS[1]!, unit);
      }
      const c = make(
        [rtuDevice('bus', 'rtu', { path: pty.a }, line, { timeoutMs: 500 })],
        [1, 2, 7].map((u) => meter(`m${u}`, 'bus', TWO_READS, { unitId: u })),
      );
      const readings = await c.pollOnce();
      for (const u of [1, 2, 7]) {
        const r = byPoint(readings.filter((x) => x.meterId === `m${u}`));
        expect(r.e).toMatchObject({ value: 1000 + u, quality: 'good' });
        expect(r.p).toMatchObject({ value: u, quality: 'good' });
      }
      expect(c.stats().devices.bus).toMatchObject({ requests: 6, responses: 6, crcErrors: 0, connects: 1 });
    } finally {
      await server.close();
    }
  });
});

describe('RTU link against a scripted bus', () => {
  let bus: ScriptedBus;
  beforeEach(async () => {
    bus = await startScriptedSerialBus(pty.b);
  });
  afterEach(async () => {
    await bus.close();
  });

  it.each([9600, 38400])(
    'keeps the inter-frame silence between a reply and the next request at %i baud',
    async (baudRate) => {
      const dev = rtuDevice('bus', 'rtu', { path: pty.a }, { baudRate });
      const c = make(
        [dev],
        [1, 2, 3].map((u) => meter(`m${u}`, 'bus', TWO_READS, { unitId: u })),
      );
      await c.pollOnce();
      await c.pollOnce();
      expect(bus.requests).toHaveLength(12);
      const silence = interFrameSilenceMs(dev.serial!);
      for (let i = 1; i < bus.requests.length; i++) {
        expect(bus.requests[i]!.at - bus.replies[i - 1]!).toBeGreaterThanOrEqual(silence);
      }
    },
  );

  it('sends a request again after a CRC error and counts it', async () => {
    let n = 0;
    bus.answer = (req) => {
      const a = echoAddresses(req);
      if (!a || n++ > 0) return a;
      const bad = Buffer.from(a.frame);
      bad[bad.length - 1]! ^= 0x40;
      return { frame: bad };
    };
    const c = make([rtuDevice('bus', 'rtu', { path: pty.a })], [meter('m1', 'bus', [TWO_READS[1]!])]);
    expect(byPoint(await c.pollOnce()).p).toMatchObject({ value: 200, quality: 'good' });
    expect(c.stats().devices.bus).toMatchObject({ requests: 2, responses: 1, crcErrors: 1 });
  });

  it('gives up after crcRetries and fails the meter with the CRC reason, not the bus', async () => {
    bus.answer = (req) => {
      const a = echoAddresses(req)!;
      if (req.unitId !== 1) return a;
      const bad = Buffer.from(a.frame);
      bad[3]! ^= 1;
      return { frame: bad };
    };
    const c = make(
      [rtuDevice('bus', 'rtu', { path: pty.a }, { crcRetries: 1 })],
      [meter('m1', 'bus', TWO_READS, { unitId: 1 }), meter('m2', 'bus', TWO_READS, { unitId: 2 })],
    );
    const rs = await c.pollOnce();
    for (const r of rs.filter((x) => x.meterId === 'm1'))
      expect(r).toMatchObject({ quality: 'bad', value: null, qualityReason: 'CRC error (2 attempts)' });
    expect(rs.filter((x) => x.meterId === 'm2').every((r) => r.quality === 'good')).toBe(true);
    // m1's second read is not sent once its group failed: 2 attempts of one read, then m2's two reads.
    expect(bus.requests.map((r) => r.unitId)).toEqual([1, 1, 2, 2]);
    expect(c.stats().devices.bus).toMatchObject({ crcErrors: 2, connects: 1, drops: 0 });
  });

  it('times out a dead unit quickly, keeps serving the others, and its breaker takes it off the bus', async () => {
    bus.answer = (req) => (req.unitId === 3 ? null : echoAddresses(req));
    const c = make(
      [
        rtuDevice(
          'bus',
          'rtu',
          { path: pty.a },
          { baudRate: 38400 },
          { timeoutMs: 250, circuitBreaker: { failures: 2, cooldownMs: 60_000 } },
        ),
      ],
      [1, 2, 3, 4].map((u) => meter(`m${u}`, 'bus', TWO_READS, { unitId: u })),
    );
    // One response timeout per poll for the dead unit (one request to it, its group failed with it), never the
    // bus for everyone; counted, not timed, so a loaded machine cannot fail it.
    for (let poll = 0; poll < 4; poll++) {
      const rs = await c.pollOnce();
      for (const r of rs) {
        if (r.meterId !== 'm3')
          expect({ id: r.meterId, quality: r.quality }).toEqual({ id: r.meterId, quality: 'good' });
        else expect(r.qualityReason).toMatch(poll < 2 ? /^timeout$/ : /^circuit open/);
      }
    }
    expect(bus.requests.filter((r) => r.unitId === 3)).toHaveLength(2);
    expect(c.stats().devices.bus).toMatchObject({ timeouts: 2, drops: 0, connects: 1 });
  });

  it('drops bytes that arrive with no request in flight (a late reply) and reads the fresh value', async () => {
    const c = make([rtuDevice('bus', 'rtu', { path: pty.a })], [meter('m1', 'bus', [TWO_READS[1]!])]);
    expect(byPoint(await c.pollOnce()).p?.value).toBe(200);
    bus.inject(registersReply(1, 3, [4242]));
    await new Promise((r) => setTimeout(r, 50));
    bus.answer = (req) => ({ frame: registersReply(req.unitId, req.functionCode, [7]) });
    expect(byPoint(await c.pollOnce()).p).toMatchObject({ value: 7, quality: 'good' });
  });

  it('judges what came by the deadline as one frame: a reply from another unit is malformed', async () => {
    bus.answer = (req) => ({ frame: registersReply(req.unitId + 1, req.functionCode, [1]) });
    const c = make([rtuDevice('bus', 'rtu', { path: pty.a })], [meter('m1', 'bus', [TWO_READS[1]!])]);
    expect(byPoint(await c.pollOnce()).p).toMatchObject({
      quality: 'bad',
      qualityReason: 'malformed reply: unit id 2, expected 1',
    });
  });

  it('fails the meter on a unit-failure exception without sending its other reads', async () => {
    bus.answer = (req) => ({ frame: rtuFrame(req.unitId, req.functionCode | 0x80, 4) });
    const c = make([rtuDevice('bus', 'rtu', { path: pty.a })], [meter('m1', 'bus', TWO_READS)]);
    const rs = await c.pollOnce();
    expect(rs.every((r) => r.quality === 'bad' && r.qualityReason === 'exception 4')).toBe(true);
    expect(bus.requests).toHaveLength(1);
  });

  it('reopens the serial port when it is lost, by the retry policy', async () => {
    const c = make([rtuDevice('bus', 'rtu', { path: pty.a })], [meter('m1', 'bus', [TWO_READS[1]!])]);
    expect(byPoint(await c.pollOnce()).p?.quality).toBe('good');
    await bus.close();
    await pty.close();
    const lost = byPoint(await c.pollOnce()).p;
    expect(lost).toMatchObject({ quality: 'bad', value: null });
    expect(lost?.qualityReason).toMatch(/serial port closed|open failed|disconnected/);
    pty = await openPtyPair(pty);
    bus = await startScriptedSerialBus(pty.b);
    await new Promise((r) => setTimeout(r, 120)); // past the retry policy's wait (support: 50, then 100 ms)
    expect(byPoint(await c.pollOnce()).p).toMatchObject({ value: 200, quality: 'good' });
    expect(c.stats().devices.bus).toMatchObject({ connects: 2, drops: 1 });
  });
});

describe('RTU over TCP (a converter in transparent mode)', () => {
  it('reads RTU frames over the connection, with the line timing of the converter', async () => {
    const bus = await startScriptedTcpBus();
    try {
      const dev = rtuDevice('conv', 'rtuOverTcp', { port: bus.port }, { baudRate: 19200 });
      const c = make(
        [dev],
        [1, 2].map((u) => meter(`m${u}`, 'conv', TWO_READS, { unitId: u })),
      );
      const rs = byPoint((await c.pollOnce()).filter((r) => r.meterId === 'm2'));
      expect(rs.p).toMatchObject({ value: 200, quality: 'good' });
      expect(rs.e).toMatchObject({ value: 10 * 65536 + 11, quality: 'good' });
      const silence = interFrameSilenceMs(dev.serial!);
      for (let i = 1; i < bus.requests.length; i++)
        expect(bus.requests[i]!.at - bus.replies[i - 1]!).toBeGreaterThanOrEqual(silence);
    } finally {
      await bus.close();
    }
  });

  it('reports a refused connection and does not retry before the policy says', async () => {
    const port = await refusedPort();
    const c = make([rtuDevice('conv', 'rtuOverTcp', { port })], [meter('m1', 'conv', [TWO_READS[1]!])]);
    expect(byPoint(await c.pollOnce()).p?.qualityReason).toBe('connect failed: ECONNREFUSED');
    // The first retry is at once; the second waits the policy's initialDelayMs.
    expect(byPoint(await c.pollOnce()).p?.qualityReason).toBe('connect failed: ECONNREFUSED');
    expect(byPoint(await c.pollOnce()).p?.qualityReason).toMatch(
      /^disconnected \(connect failed: ECONNREFUSED\); reconnecting in \d+ ms$/,
    );
  });
});
