import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPcfError, type PcfError } from '@pcf-edge/core';
import { parse } from 'yaml';
import { loadScenario, validateScenario } from '../src';
import { DEMO } from './helpers';

function errorOf(fn: () => unknown): PcfError {
  try {
    fn();
  } catch (e) {
    if (isPcfError(e)) return e;
    throw e;
  }
  throw new Error('expected a PcfError');
}

const demo = (): Record<string, unknown> => parse(readFileSync(DEMO, 'utf8')) as Record<string, unknown>;

describe('scenario validation', () => {
  it('accepts the demo factory and applies defaults', () => {
    const s = loadScenario(DEMO);
    expect(s.sites[0]?.lines).toHaveLength(2);
    expect(s.modbus.devices.flatMap((d) => d.meters)).toHaveLength(6);
    expect(s.modbus.devices[0]?.meters[0]?.share).toBe(1);
    expect(s.modbus.devices[0]).toMatchObject({ transport: 'tcp', port: 5020 });
    expect(s.modbus.devices[0]?.meters[0]?.replyTimeMs).toBe(0);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('names every bad path of a malformed scenario in one error', () => {
    const s = demo() as {
      timeFactor: unknown;
      sites: { lines: { schedule: unknown; bogus?: unknown }[] }[];
      modbus: { devices: { port: unknown; meters: { role: unknown }[] }[] };
      faults: unknown[];
    };
    s.timeFactor = -1;
    (s.sites[0]?.lines[0] as { bogus?: unknown }).bogus = true;
    (s.sites[0]?.lines[1] as { schedule: unknown }).schedule = [];
    (s.modbus.devices[1] as { port: unknown }).port = 'x';
    (s.modbus.devices[0]?.meters[1] as { role: unknown }).role = 'main';
    const err = errorOf(() => validateScenario(s, 'bad.yaml'));
    expect(err.code).toBe('ERR_SCENARIO_INVALID');
    const errors = err.details.errors as string[];
    expect(errors).toEqual(
      expect.arrayContaining([
        '/timeFactor: must be > 0',
        "/sites/0/lines/0: unknown property 'bogus'",
        '/sites/1/lines/1/schedule: must NOT have fewer than 1 items'.replace('/sites/1', '/sites/0'),
        '/modbus/devices/1/port: must be integer',
        expect.stringMatching(/^\/modbus\/devices\/0\/meters\/1\/role: must be equal to one of the allowed values/),
      ]),
    );
    expect(err.message).toContain('bad.yaml');
  });

  it('checks cross-references after the schema passes', () => {
    const s = demo() as {
      modbus: {
        devices: { port: number; meters: { profile?: string; line?: string; unitId?: number; share?: number }[] }[];
      };
      faults: { target: string; type: string }[];
    };
    const [a, b] = s.modbus.devices;
    (a?.meters[0] as { profile: string }).profile = 'no-such-meter';
    (a?.meters[1] as { line: string }).line = 'line-9';
    (b?.meters[1] as { unitId: number }).unitId = 1;
    (b as { port: number }).port = (a as { port: number }).port;
    (b?.meters[0] as { share: number }).share = 0.7;
    s.faults.push({ target: 'ghost', type: 'noReply' });
    const err = errorOf(() => validateScenario(s));
    const errors = err.details.errors as string[];
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\/modbus\/devices\/0\/meters\/0\/profile: unknown meter profile 'no-such-meter' \(known: .*eastron-sdm630/,
        ),
        "/modbus/devices/0/meters/1/line: no line 'line-9'",
        "/modbus/devices/1/meters/1/unitId: unit id 1 is used twice on device 'panel-b'",
        '/modbus/devices/1/port: port 5020 is already used at /modbus/devices/0/port',
        expect.stringMatching(
          /^\/modbus\/devices\/1\/meters\/0\/share: lineTotal electricity shares of line 'line-2' sum to 1\.2/,
        ),
        "/faults/3/target: no device or meter 'ghost'",
      ]),
    );
  });

  it('checks what each Modbus transport needs and refuses, and faults that cannot apply to it', () => {
    type Dev = Record<string, unknown> & { meters: Record<string, unknown>[] };
    const s = demo() as { modbus: { devices: Dev[] }; faults: Record<string, unknown>[] };
    const [a, b, c] = s.modbus.devices as [Dev, Dev, Dev];
    Object.assign(a, { transport: 'rtu', serial: { path: '/dev/ttyX', baudRate: 9600 } }); // keeps its port
    Object.assign(b, { transport: 'rtuOverTcp' });
    b.meters[0]!.unitId = 0;
    Object.assign(c, { serial: { baudRate: 9600 } });
    s.faults.push({ target: 'line1-press', type: 'disconnect' }, { target: 'gas-io', type: 'crcError', every: 2 });
    s.faults.push({ target: 'panel-b', type: 'noReply', every: 3 });
    const errors = errorOf(() => validateScenario(s)).details.errors as string[];
    expect(errors).toEqual(
      expect.arrayContaining([
        '/modbus/devices/0/port: not used by transport rtu (the bus is serial.path)',
        '/modbus/devices/1: transport rtuOverTcp needs serial (the line that paces replies)',
        '/modbus/devices/1/meters/0/unitId: 0 is the broadcast address on an RTU bus; use 1..247',
        '/modbus/devices/2/serial: not used by transport tcp (serial settings apply to rtu and rtuOverTcp)',
        "/faults/3/type: a serial bus has no connection to drop ('line1-press' is on one); use noReply or restart",
        "/faults/4/type: crcError needs an RTU device or a meter on one ('gas-io' is not; Modbus TCP has no CRC)",
        '/faults/5/every: only for type crcError',
      ]),
    );
  });

  it('refuses a load beyond the profile counter’s maxRatePerHour', () => {
    const s = demo() as { sites: { lines: { producingLoadKw: number }[] }[] };
    (s.sites[0]?.lines[1] as { producingLoadKw: number }).producingLoadKw = 500;
    const errors = errorOf(() => validateScenario(s)).details.errors as string[];
    expect(
      errors.some((e) =>
        /^\/modbus\/devices\/1\/meters\/0\/share: peak load .* exceeds the carlo-gavazzi-em24/.test(e),
      ),
    ).toBe(true);
  });

  it('reports a file that is not YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'sites: [unclosed');
    expect(errorOf(() => loadScenario(file)).code).toBe('ERR_CONFIG_READ');
  });
});
