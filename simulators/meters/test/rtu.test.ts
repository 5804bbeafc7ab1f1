import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock } from '@pcf-edge/core';
import {
  decodePoint,
  frameMs,
  getProfile,
  interFrameSilenceMs,
  registerCount,
  type SerialLine,
} from '@pcf-edge/profiles';
import ModbusRTU from 'modbus-serial';
import { openPtyPair, type PtyPair } from '../../../test-support/pty-pair';
import { rtuDemoScenario, RTU_BUS_METERS } from '../../../test-support/rtu-scenario';
import { createMeterSimulator, type MeterSimulator } from '../src';
import { close, failure } from './helpers';

/**
 * The simulator's RTU bus across a socat PTY pair, read by modbus-serial's RTU client (connectRTUBuffered): values
 * equal the ground truth, replies keep the line's time, faults corrupt or withhold replies.
 */
const T0 = Date.parse('2026-11-02T09:17:23.456Z');
const LINE: SerialLine = { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 };
const REPLY_MS = 20;
const clock = new ManualClock(T0);
let pty: PtyPair;
let sim: MeterSimulator;
let client: ModbusRTU;

/** Reads one point of a bus meter, then waits out the inter-frame silence modbus-serial does not keep. */
async function read(unitId: number, profile: string, name: string): Promise<number> {
  const p = getProfile(profile).points.find((x) => x.name === name)!;
  client.setID(unitId);
  try {
    const n = registerCount(p.type);
    const r =
      p.table === 'input'
        ? await client.readInputRegisters(p.address, n)
        : await client.readHoldingRegisters(p.address, n);
    return decodePoint(r.data, p);
  } finally {
    await sleep(10);
  }
}

beforeAll(async () => {
  pty = await openPtyPair();
  sim = createMeterSimulator(rtuDemoScenario({ transport: 'rtu', path: pty.b, ...LINE, replyTimeMs: REPLY_MS }), {
    clock,
  });
  await sim.start();
  client = new ModbusRTU();
  await client.connectRTUBuffered(pty.a, { baudRate: LINE.baudRate, parity: LINE.parity });
  client.setTimeout(500);
});
afterAll(async () => {
  await close(client);
  await sim.stop();
  await pty.close();
});
afterEach(async () => {
  await sim.clearFaults();
  clock.set(T0);
});

describe('simulated RTU bus', () => {
  it('serves four meters on one bus, each at its unit id, with the truth of the instant', async () => {
    const truth = sim.truth.at(T0).meters;
    expect(await read(RTU_BUS_METERS['line1-main'], 'schneider-pm5xxx', 'energyImportWh')).toBe(
      truth['line1-main']?.points.energyImportWh,
    );
    expect(await read(RTU_BUS_METERS['line1-press'], 'eastron-sdm630', 'energyImport')).toBe(
      Math.fround(truth['line1-press']?.points.energyImport as number),
    );
    expect(await read(RTU_BUS_METERS['site-baseload'], 'schneider-iem3000', 'energyImport')).toBeGreaterThan(12000);
    expect(await read(RTU_BUS_METERS['line1-gas'], 'gas-pulse-counter', 'volume')).toBe(
      truth['line1-gas']?.points.volume,
    );
    expect(sim.lineStats()['bus-1']).toMatchObject({ silenceViolations: 0, collisions: 0, badRequests: 0 });
    expect(sim.ports.modbus).not.toHaveProperty('bus-1');
  });

  it('paces a reply at the line rate: request + silence + reply time + reply', async () => {
    // FC4, 2 registers: 8-byte request, 9-byte reply.
    const least = frameMs(LINE, 8) + interFrameSilenceMs(LINE) + REPLY_MS + frameMs(LINE, 9);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await read(RTU_BUS_METERS['line1-press'], 'eastron-sdm630', 'energyImport');
      times.push(performance.now() - start - 10);
    }
    expect(Math.min(...times)).toBeGreaterThanOrEqual(least);
    expect(Math.min(...times)).toBeLessThan(least + 30);
  });

  it('counts a request sent before the inter-frame silence has passed', async () => {
    const before = sim.lineStats()['bus-1']!.silenceViolations;
    client.setID(2);
    // modbus-serial sends the next request as soon as a reply is in, inside the 4 ms of silence 9,600 baud needs; on a
    // loaded machine a send may be late enough to keep it, so up to 40 requests go until one is counted
    for (let i = 0; i < 40 && sim.lineStats()['bus-1']!.silenceViolations === before; i++)
      await client.readInputRegisters(0x48, 2);
    await sleep(10);
    expect(sim.lineStats()['bus-1']!.silenceViolations).toBeGreaterThan(before);
  });

  it('a crcError fault corrupts replies: every one, or the first of every n', async () => {
    await sim.injectFault('line1-press', { type: 'crcError' });
    expect((await failure(read(2, 'eastron-sdm630', 'energyImport'))).message).toBe('CRC error');
    expect(await read(1, 'schneider-pm5xxx', 'energyImportWh')).toBeGreaterThan(0);
    await sim.clearFaults();
    await sim.injectFault('bus-1', { type: 'crcError', every: 2 });
    expect((await failure(read(2, 'eastron-sdm630', 'energyImport'))).message).toBe('CRC error');
    expect(await read(2, 'eastron-sdm630', 'energyImport')).toBeGreaterThan(0);
    expect(sim.lineStats()['bus-1']!.corrupted).toBeGreaterThanOrEqual(2);
  });

  it('a dead unit (noReply on its meter) and a unit id nobody serves stay silent; the others answer', async () => {
    await sim.injectFault('site-baseload', { type: 'noReply' });
    expect((await failure(read(3, 'schneider-iem3000', 'energyImport'))).message).toMatch(/Timed out/);
    expect((await failure(read(9, 'schneider-iem3000', 'energyImport'))).message).toMatch(/Timed out/);
    expect(await read(4, 'gas-pulse-counter', 'volume')).toBeGreaterThan(0);
  });

  it('answers exceptions as framed RTU exception replies', async () => {
    await sim.injectFault('line1-gas', { type: 'exception', code: 6 });
    expect((await failure(read(4, 'gas-pulse-counter', 'volume'))).modbusCode).toBe(6);
    client.setID(4);
    expect((await failure(client.readCoils(0, 1))).modbusCode).toBe(2);
    await sleep(10);
  });

  it('refuses faults that cannot apply to the transport', async () => {
    await expect(sim.injectFault('bus-1', { type: 'disconnect' })).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(sim.injectFault('panel-b', { type: 'crcError' })).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(sim.injectFault('panel-b', { type: 'noReply', every: 2 })).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
  });
});

describe('simulated RTU over TCP (a converter in transparent mode)', () => {
  it('serves RTU frames on a TCP port, paced like the serial line', async () => {
    const line: SerialLine = { baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 2 };
    const s = createMeterSimulator(rtuDemoScenario({ transport: 'rtuOverTcp', ...line, replyTimeMs: 0 }), { clock });
    await s.start();
    const c = new ModbusRTU();
    try {
      await c.connectTelnet('127.0.0.1', { port: s.ports.modbus['bus-1'] });
      c.setTimeout(500);
      c.setID(4);
      const start = performance.now();
      const r = await c.readHoldingRegisters(0, 1);
      expect(performance.now() - start).toBeGreaterThanOrEqual(frameMs(line, 8 + 7) + interFrameSilenceMs(line));
      expect(r.data[0]).toBe(Math.round((s.truth.at(T0).meters['line1-gas']?.points.volume as number) / 0.01));
    } finally {
      await close(c);
      await s.stop();
    }
  });
});
