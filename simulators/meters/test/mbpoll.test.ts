import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ManualClock } from '@pcf-edge/core';
import { decodeRaw } from '@pcf-edge/profiles';
import { openPtyPair } from '../../../test-support/pty-pair';
import { rtuDemoScenario } from '../../../test-support/rtu-scenario';
import { createMeterSimulator, type MeterSimulator } from '../src';
import { demoScenario } from './helpers';

/**
 * An independent Modbus client (mbpoll, Debian package `mbpoll`) reads the energy registers of the demo factory
 * and must get the ground truth of that (frozen) instant.
 */
const run = promisify(execFile);
const AT = Date.parse('2026-11-02T11:47:05.250Z');
let sim: MeterSimulator;

async function mbpoll(port: number, unit: number, args: string[]): Promise<Map<number, string>> {
  const { stdout } = await run(
    'mbpoll',
    ['-m', 'tcp', '-p', String(port), '-a', String(unit), '-0', '-1', '-o', '5', ...args, '127.0.0.1'],
    { timeout: 20_000 },
  );
  const values = new Map<number, string>();
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)) values.set(Number(m[1]), m[2] as string);
  return values;
}

beforeAll(async () => {
  await run('mbpoll', ['-V']).catch(() => {
    throw new Error('mbpoll is not installed: apt-get install -y mbpoll');
  });
  sim = createMeterSimulator(demoScenario({ opcua: false }), { clock: new ManualClock(AT) });
  await sim.start();
});

afterAll(async () => {
  await sim?.stop();
});

describe('mbpoll reads ground truth', () => {
  it('SDM630 float32 ABCD import energy (input register 0x48)', async () => {
    const truth = sim.truth.at(AT).meters['line1-press']?.points.energyImport as number;
    const port = sim.ports.modbus['panel-a'] as number;
    const asFloat = await mbpoll(port, 2, ['-t', '3:float', '-B', '-r', '72', '-c', '1']);
    const shown = Number(asFloat.get(72));
    expect(Math.abs(shown - truth) / truth).toBeLessThan(5e-6); // mbpoll prints 6 significant digits
    const hex = await mbpoll(port, 2, ['-t', '3:hex', '-r', '72', '-c', '2']);
    const words = [Number(hex.get(72)), Number(hex.get(73))];
    expect(decodeRaw(words, 'float32', 'ABCD')).toBe(Math.fround(truth));
  });

  it('EM24 int32 CDAB ×0.1 kWh import energy (input register 0x42)', async () => {
    const truth = sim.truth.at(AT).meters['line2-feed-a']?.points.energyImport as number;
    const res = await mbpoll(sim.ports.modbus['panel-b'] as number, 1, ['-t', '3:int', '-r', '66', '-c', '1']);
    expect(Number(res.get(66)) / 10).toBe(truth);
    expect(truth).toBeGreaterThan(98765.4);
  });

  it('PM5xxx int64 Wh (holding 3203) and ABB B23 uint64 ×0.01 kWh (holding 0x5000)', async () => {
    const pm = await mbpoll(sim.ports.modbus['panel-a'] as number, 1, ['-t', '4:hex', '-r', '3203', '-c', '4']);
    const pmWh = decodeRaw(
      [3203, 3204, 3205, 3206].map((a) => Number(pm.get(a))),
      'int64',
      'ABCD',
    ) as bigint;
    expect(Number(pmWh) / 1000).toBe(sim.truth.at(AT).meters['line1-main']?.points.energyImportWh);
    const abb = await mbpoll(sim.ports.modbus['panel-b'] as number, 2, [
      '-t',
      '4:hex',
      '-r',
      String(0x5000),
      '-c',
      '4',
    ]);
    const raw = decodeRaw(
      [0, 1, 2, 3].map((i) => Number(abb.get(0x5000 + i))),
      'uint64',
      'ABCD',
    ) as bigint;
    expect(Number(raw) / 100).toBe(sim.truth.at(AT).meters['line2-feed-b']?.points.energyImport);
  });
});

describe('mbpoll reads ground truth from the RTU bus across a PTY pair', () => {
  it('SDM630 on unit 2 of a 9600 8E1 bus, and the PM5xxx int64 Wh on unit 1', async () => {
    const pty = await openPtyPair();
    const rtu = createMeterSimulator(rtuDemoScenario({ transport: 'rtu', path: pty.b, baudRate: 9600 }), {
      clock: new ManualClock(AT),
    });
    try {
      await rtu.start();
      const poll = async (unit: number, args: string[]) => {
        const { stdout } = await run(
          'mbpoll',
          ['-m', 'rtu', '-b', '9600', '-P', 'even', '-a', String(unit), '-0', '-1', '-o', '2', ...args, pty.a],
          { timeout: 20_000 },
        );
        return new Map([...stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => [Number(m[1]), m[2] as string]));
      };
      const hex = await poll(2, ['-t', '3:hex', '-r', '72', '-c', '2']);
      const truth = rtu.truth.at(AT).meters['line1-press']?.points.energyImport as number;
      expect(decodeRaw([Number(hex.get(72)), Number(hex.get(73))], 'float32', 'ABCD')).toBe(Math.fround(truth));
      const pm = await poll(1, ['-t', '4:hex', '-r', '3203', '-c', '4']);
      const wh = decodeRaw(
        [3203, 3204, 3205, 3206].map((a) => Number(pm.get(a))),
        'int64',
        'ABCD',
      ) as bigint;
      expect(Number(wh) / 1000).toBe(rtu.truth.at(AT).meters['line1-main']?.points.energyImportWh);
      expect(rtu.lineStats()['bus-1']).toMatchObject({ requests: 2, replies: 2, badRequests: 0 });
    } finally {
      await rtu.stop();
      await pty.close();
    }
  });
});
