import { ManualClock } from '@pcf-edge/core';
import { decodePoint, getProfile, isFloat, registerCount, type PointDefinition } from '@pcf-edge/profiles';
import type ModbusRTU from 'modbus-serial';
import { createMeterSimulator, type MeterSimulator } from '../src';
import { close, connect, demoScenario, failure } from './helpers';

const scenario = demoScenario({ opcua: false });
const T0 = Date.parse('2026-11-02T09:17:23.456Z');
const clock = new ManualClock(T0);
let sim: MeterSimulator;
const clients: ModbusRTU[] = [];

async function client(deviceId: string, unitId: number, timeoutMs?: number): Promise<ModbusRTU> {
  const c = await connect(sim.ports.modbus[deviceId] as number, unitId, timeoutMs);
  clients.push(c);
  return c;
}

async function readPoint(c: ModbusRTU, p: PointDefinition): Promise<number> {
  const n = registerCount(p.type);
  const r = p.table === 'input' ? await c.readInputRegisters(p.address, n) : await c.readHoldingRegisters(p.address, n);
  return decodePoint(r.data, p);
}

function point(profile: string, name: string): PointDefinition {
  const p = getProfile(profile).points.find((x) => x.name === name);
  if (!p) throw new Error(`no point ${name}`);
  return p;
}

beforeAll(async () => {
  sim = createMeterSimulator(scenario, { clock });
  await sim.start();
});

afterAll(async () => {
  for (const c of clients) await close(c);
  await sim.stop();
});

afterEach(async () => {
  await sim.clearFaults();
  clock.set(T0);
});

describe('Modbus round trip against ground truth', () => {
  const meters = scenario.modbus.devices.flatMap((d) => d.meters.map((m) => ({ device: d.id, ...m })));

  it.each(meters.map((m) => [m.id, m] as const))(
    '%s: every point decodes to the truth at a frozen instant',
    async (_id, m) => {
      const c = await client(m.device, m.unitId);
      const truth = sim.truth.at(clock.now()).meters[m.id];
      expect(truth).toBeDefined();
      for (const p of getProfile(m.profile).points) {
        const got = await readPoint(c, p);
        const want = truth?.points[p.name] as number;
        if (p.kind === 'counter' && !isFloat(p.type)) expect(got).toBe(want);
        else if (p.kind === 'counter') expect(got).toBe(Math.fround(want / p.scale) * p.scale);
        else expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(p.scale, Math.abs(want) * 1e-6));
      }
    },
  );

  it('counters follow simulated time and the true consumption', async () => {
    const c = await client('panel-b', 2);
    const p = point('abb-b23', 'energyImport');
    const before = await readPoint(c, p);
    const t1 = T0 + 3_600_000;
    clock.set(t1);
    const after = await readPoint(c, p);
    expect(after).toBe(sim.truth.at(t1).meters['line2-feed-b']?.points.energyImport);
    const consumed = sim.truth.meterConsumption('line2-feed-b', 'activeEnergyImport', T0, t1);
    expect(consumed).toBeGreaterThan(5);
    expect(Math.abs(after - before - consumed)).toBeLessThanOrEqual(0.01);
  });

  it('line truth equals the sum of the lineTotal meters', () => {
    const t1 = T0 + 7_200_000;
    const line = sim.truth.lineEnergy('line-2', T0, t1);
    const a = sim.truth.meterConsumption('line2-feed-a', 'activeEnergyImport', T0, t1);
    const b = sim.truth.meterConsumption('line2-feed-b', 'activeEnergyImport', T0, t1);
    expect(line.electricityKWh).toBeCloseTo(a + b, 9);
    expect(line.unitsGood).toBeGreaterThan(0);
  });

  it('PM5xxx int64 Wh and its float32 kWh twin show the same counter at their resolutions', async () => {
    const c = await client('panel-a', 1);
    const wh = await readPoint(c, point('schneider-pm5xxx', 'energyImportWh'));
    const kwh = await readPoint(c, point('schneider-pm5xxx', 'energyImportKWh'));
    expect(Math.abs(wh - kwh)).toBeLessThanOrEqual(0.125);
  });
});

describe('device limits', () => {
  it('answers exception 2 for an unmapped address and for a read that runs into a hole', async () => {
    const c = await client('panel-a', 2);
    expect((await failure(c.readInputRegisters(0x0100, 2))).modbusCode).toBe(2);
    expect((await failure(c.readInputRegisters(0x0048, 6))).modbusCode).toBe(2);
    expect((await failure(c.readHoldingRegisters(0x0048, 2))).modbusCode).toBe(2);
    expect((await failure(c.readCoils(0, 1))).modbusCode).toBe(2);
  });
  it('answers exception 3 past maxRegistersPerRead (EM24: 11)', async () => {
    const c = await client('panel-b', 1);
    expect((await c.readInputRegisters(0x0000, 6)).data).toHaveLength(6);
    expect((await failure(c.readInputRegisters(0x0000, 12))).modbusCode).toBe(3);
  });
  it('answers exception 11 for a unit id nobody serves', async () => {
    const c = await client('panel-a', 9);
    expect((await failure(c.readInputRegisters(0, 2))).modbusCode).toBe(11);
  });
});

describe('faults', () => {
  const sdm = point('eastron-sdm630', 'energyImport');
  const gas = point('gas-pulse-counter', 'volume');

  it.each([2, 4, 6])('exception %d on one meter leaves the others on the port alone', async (code) => {
    await sim.injectFault('line1-press', { type: 'exception', code });
    const c = await client('panel-a', 2);
    expect((await failure(readPoint(c, sdm))).modbusCode).toBe(code);
    const other = await client('panel-a', 3);
    await expect(readPoint(other, point('schneider-iem3000', 'energyImport'))).resolves.toBeGreaterThan(0);
  });

  it('noReply makes the request time out, then answers again once cleared', async () => {
    await sim.injectFault('panel-a', { type: 'noReply' });
    const c = await client('panel-a', 2, 300);
    expect((await failure(readPoint(c, sdm))).message).toMatch(/Timed out/);
    await sim.clearFaults('panel-a');
    const fresh = await client('panel-a', 2);
    await expect(readPoint(fresh, sdm)).resolves.toBeGreaterThan(0);
  });

  it('a fault with a duration ends by simulated time', async () => {
    await sim.injectFault('line1-press', { type: 'exception', code: 6, durationSec: 60 });
    const c = await client('panel-a', 2);
    expect((await failure(readPoint(c, sdm))).modbusCode).toBe(6);
    clock.advance(60_000);
    await expect(readPoint(c, sdm)).resolves.toBeGreaterThan(0);
  });

  it('disconnect closes open sockets and refuses new ones while it lasts', async () => {
    const c = await client('panel-b', 1);
    await readPoint(c, point('carlo-gavazzi-em24', 'energyImport'));
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    await sim.injectFault('panel-b', { type: 'disconnect', durationSec: 30 });
    await closed;
    const again = await client('panel-b', 1, 500);
    expect(await failure(readPoint(again, point('carlo-gavazzi-em24', 'energyImport')))).toBeDefined();
    clock.advance(30_000);
    const after = await client('panel-b', 1);
    await expect(readPoint(after, point('carlo-gavazzi-em24', 'energyImport'))).resolves.toBeGreaterThan(0);
  });

  it('counterReset sets the register to 0 while the true consumption continues', async () => {
    const tReset = T0 + 60_000;
    clock.set(tReset);
    await sim.injectFault('line1-press', { type: 'counterReset' });
    const c = await client('panel-a', 2);
    expect(await readPoint(c, sdm)).toBe(0);
    const t1 = tReset + 1_800_000;
    clock.set(t1);
    const shown = await readPoint(c, sdm);
    const consumed = sim.truth.meterConsumption('line1-press', 'activeEnergyImport', tReset, t1);
    expect(shown).toBe(Math.fround(consumed));
    const truth = sim.truth.at(t1).meters['line1-press'];
    expect(truth?.points.energyImport).toBeCloseTo(consumed, 9);
    expect(truth?.consumption.activeEnergyImport).toBeCloseTo(
      sim.truth.meterConsumption('line1-press', 'activeEnergyImport', Date.parse(scenario.startTime), t1),
      9,
    );
  });

  it('meterReplacement gives a new serial and a small start value', async () => {
    const t = T0 + 120_000;
    clock.set(t);
    await sim.injectFault('line2-feed-b', { type: 'meterReplacement', startValue: 2.5, serial: 'B23-NEW' });
    const c = await client('panel-b', 2);
    expect(await readPoint(c, point('abb-b23', 'energyImport'))).toBe(2.5);
    expect(sim.truth.at(t).meters['line2-feed-b']?.serial).toBe('B23-NEW');
    expect(sim.truth.at(t - 1).meters['line2-feed-b']?.serial).toBe('B23-3322110');
  });

  it('rollover jumps the uint16 gas counter near its modulus, then it wraps', async () => {
    const t = T0 + 180_000;
    clock.set(t);
    await sim.injectFault('line1-gas', { type: 'rollover', belowModulus: 0.05 });
    const c = await client('gas-io', 1);
    expect(await readPoint(c, gas)).toBe(655.31);
    clock.set(t + 3_600_000);
    const wrapped = await readPoint(c, gas);
    expect(wrapped).toBeLessThan(20);
    const consumed = sim.truth.meterConsumption('line1-gas', 'gasVolume', t, t + 3_600_000);
    expect(Math.abs(wrapped + 0.05 - consumed)).toBeLessThanOrEqual(0.01);
    expect(sim.truth.at(t + 3_600_000).meters['line1-gas']?.points.volume).toBe(wrapped);
  });

  it('nan makes float registers NaN and integer registers the not-available marker', async () => {
    await sim.injectFault('line1-press', { type: 'nan' });
    await sim.injectFault('line2-feed-a', { type: 'nan' });
    expect(await readPoint(await client('panel-a', 2), sdm)).toBeNaN();
    const em24 = point('carlo-gavazzi-em24', 'energyImport');
    expect((await (await client('panel-b', 1)).readInputRegisters(em24.address, 2)).data).toEqual([0x0000, 0x8000]);
  });

  it('stuck freezes the registers while time moves on', async () => {
    const c = await client('panel-a', 1);
    const p = point('schneider-pm5xxx', 'energyImportWh');
    await sim.injectFault('line1-main', { type: 'stuck' });
    const v0 = await readPoint(c, p);
    clock.advance(3_600_000);
    expect(await readPoint(c, p)).toBe(v0);
    expect(sim.truth.at(clock.now()).meters['line1-main']?.points.energyImportWh).toBeGreaterThan(v0 + 5);
  });

  it('garbage answers words that do not decode to the truth', async () => {
    await sim.injectFault('line1-main', { type: 'garbage' });
    const c = await client('panel-a', 1);
    const p = point('schneider-pm5xxx', 'energyImportWh');
    expect(await readPoint(c, p)).not.toBe(sim.truth.at(clock.now()).meters['line1-main']?.points.energyImportWh);
  });

  it('restart takes the device down for its duration', async () => {
    await sim.injectFault('panel-a', { type: 'restart', durationSec: 10 });
    expect((await failure(connect(sim.ports.modbus['panel-a'] as number, 1))).message).toMatch(/ECONNREFUSED|connect/);
    clock.advance(10_000);
    await sim.clearFaults('nothing-to-clear');
    const c = await client('panel-a', 1);
    await expect(readPoint(c, point('schneider-pm5xxx', 'energyImportWh'))).resolves.toBeGreaterThan(0);
  });

  it('rejects a fault for an unknown target or of an unknown type', async () => {
    await expect(sim.injectFault('nope', { type: 'noReply' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(sim.injectFault('panel-a', { type: 'explode' as 'noReply' })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
  });
});
