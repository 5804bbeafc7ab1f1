import { setTimeout as sleep } from 'node:timers/promises';
import type { Reading } from '@pcf-edge/core';
import { encodeRaw } from '@pcf-edge/profiles';
import { createModbusCollector, type ModbusCollector } from '../src/collector';
import {
  config,
  device,
  log,
  meter,
  point,
  refusedPort,
  startRawServer,
  startTestDevice,
  type TestDevice,
} from './support';

const byPoint = (rs: Reading[]) => Object.fromEntries(rs.map((r) => [r.point, r]));

const POINTS = [
  point('energy', 'activeEnergyImport', 'input', 0x48, 'float32'),
  point('energyWh', 'activeEnergyImport', 'holding', 3203, 'int64', { scale: 0.001 }),
  point('gas', 'gasVolume', 'holding', 10, 'uint16', { scale: 0.01 }),
  point('power', 'activePower', 'holding', 12, 'int32', { wordOrder: 'CDAB', scale: 0.0001, maxValue: 500 }),
  point('state', 'machineState', 'holding', 20, 'uint16', { wordOrder: 'BADC' }),
  point('running', 'machineState', 'coil', 5, 'uint16'),
];

describe('modbus collector against a Modbus TCP server', () => {
  let dev: TestDevice;
  let collector: ModbusCollector | null = null;
  const make = (extra: Parameters<typeof device>[2] = {}, points = POINTS) => {
    collector = createModbusCollector(config([device('d1', dev.port, extra)], [meter('m1', 'd1', points)]), { log });
    return collector;
  };

  beforeEach(async () => {
    dev = await startTestDevice();
    dev.setPoint(1, POINTS[0]!, 1234.5);
    dev.setPoint(1, POINTS[1]!, 9007199254740.993);
    dev.setPoint(1, POINTS[2]!, 655.35);
    dev.setPoint(1, POINTS[3]!, -12.3456);
    dev.setPoint(1, POINTS[4]!, 2);
    dev.setPoint(1, POINTS[5]!, 1);
  });
  afterEach(async () => {
    await collector?.stop();
    collector = null;
    await dev.close();
  });

  it('decodes every type, word order and table exactly', async () => {
    const r = byPoint(await make().pollOnce());
    expect(r.energy).toMatchObject({
      value: 1234.5,
      unit: 'kWh',
      quality: 'good',
      kind: 'counter',
      site: 'S1',
      line: 'L1',
      meterId: 'm1',
    });
    expect(r.energyWh?.value).toBe(9007199254740.993);
    expect(r.gas?.value).toBe(655.35);
    expect(r.power?.value).toBe(-12.3456);
    expect(r.state?.value).toBe(2);
    expect(r.running?.value).toBe(1);
    expect(Object.values(r).every((x) => x.quality === 'good')).toBe(true);
  });

  it('splits a read on exception 2, remembers the hole and keeps every point good', async () => {
    dev.illegal.add('holding:1:15');
    const c = make();
    const before = c.pollers()[0]!.plan.length;
    const first = byPoint(await c.pollOnce());
    expect(Object.values(first).every((x) => x.quality === 'good')).toBe(true);
    const p = c.pollers()[0]!;
    expect(p.plan.length).toBeGreaterThan(before);
    expect(p.holes).toEqual([{ unitId: 1, table: 'holding', from: 14, to: 19 }]);
    dev.reads = 0;
    await c.pollOnce();
    expect(dev.reads).toBe(p.plan.length);
  });

  it('marks a point at an illegal address bad with exception 2 and the rest good', async () => {
    dev.illegal.add('holding:1:20');
    const r = byPoint(await make().pollOnce());
    expect(r.state).toMatchObject({ value: null, quality: 'bad', qualityReason: 'exception 2' });
    expect(r.gas?.quality).toBe('good');
  });

  it('maps device exceptions to bad readings and recovers', async () => {
    const c = make();
    dev.behaviour.exception = 4;
    const r = await c.pollOnce();
    expect(r.every((x) => x.quality === 'bad' && x.value === null && x.qualityReason === 'exception 4')).toBe(true);
    dev.behaviour.exception = null;
    expect((await c.pollOnce()).every((x) => x.quality === 'good')).toBe(true);
  });

  it('times out a silent device, drops the link and recovers when it answers again', async () => {
    const c = make({ timeoutMs: 200 });
    dev.behaviour.silent = true;
    const r = await c.pollOnce();
    expect(r.every((x) => x.quality === 'bad' && x.value === null)).toBe(true);
    expect(r[0]?.qualityReason).toBe('timeout');
    expect(c.stats().devices.d1?.timeouts).toBe(1);
    expect(c.stats().devices.d1?.drops).toBe(1);
    dev.behaviour.silent = false;
    await sleep(100);
    expect((await c.pollOnce()).every((x) => x.quality === 'good')).toBe(true);
    expect(c.stats().devices.d1?.connects).toBe(2);
  });

  it('notices a connection the device closed and reconnects', async () => {
    const c = make();
    await c.pollOnce();
    dev.dropConnections();
    await sleep(100);
    expect((await c.pollOnce()).every((x) => x.quality === 'good')).toBe(true);
    expect(c.stats().devices.d1?.connects).toBe(2);
  });

  it('survives a server restart', async () => {
    const c = make();
    await c.pollOnce();
    await dev.close();
    const down = await c.pollOnce();
    expect(down.every((x) => x.quality === 'bad')).toBe(true);
    expect(down[0]?.qualityReason).toMatch(/connection closed|connect failed|disconnected/);
    await dev.restart();
    const allGood = (rs: Reading[]) => rs.length === POINTS.length && rs.every((x) => x.quality === 'good');
    let r: Reading[] = [];
    for (let i = 0; i < 30 && !allGood(r); i++) {
      await sleep(100);
      r = await c.pollOnce();
    }
    expect(allGood(r)).toBe(true);
    expect(c.stats().devices.d1?.connects).toBe(2);
  });

  it('marks NaN and infinite floats bad and out-of-range values uncertain', async () => {
    const c = make();
    dev.set('input', 1, 0x48, encodeRaw(NaN, 'float32', 'ABCD'));
    expect(byPoint(await c.pollOnce()).energy).toMatchObject({ value: null, quality: 'bad', qualityReason: 'NaN' });
    dev.set('input', 1, 0x48, encodeRaw(Infinity, 'float32', 'ABCD'));
    expect(byPoint(await c.pollOnce()).energy).toMatchObject({
      value: null,
      quality: 'bad',
      qualityReason: 'Infinity',
    });
    dev.set('input', 1, 0x48, encodeRaw(-5, 'float32', 'ABCD'));
    dev.setPoint(1, POINTS[3]!, 900);
    const r = byPoint(await c.pollOnce());
    expect(r.energy).toMatchObject({ value: -5, quality: 'uncertain' });
    expect(r.power).toMatchObject({ value: 900, quality: 'uncertain' });
    expect(r.power?.qualityReason).toMatch(/out of range/);
  });

  it('reports a counter reset as the value read (the aggregator books it)', async () => {
    const c = make();
    expect(byPoint(await c.pollOnce()).gas?.value).toBe(655.35);
    dev.setPoint(1, POINTS[2]!, 0.02);
    expect(byPoint(await c.pollOnce()).gas).toMatchObject({ value: 0.02, quality: 'good' });
  });

  it('opens the circuit breaker after N failures, skips the unit, and closes it after the cooldown', async () => {
    const c = make({
      timeoutMs: 100,
      circuitBreaker: { failures: 2, cooldownMs: 600 },
      retry: { initialDelayMs: 10, maxDelayMs: 20, multiplier: 2, jitter: 'none' },
    });
    dev.behaviour.silent = true;
    await c.pollOnce();
    await c.pollOnce();
    const reads = dev.reads;
    const skipped = await c.pollOnce();
    expect(dev.reads).toBe(reads);
    expect(skipped.every((x) => x.quality === 'bad' && /^circuit open/.test(x.qualityReason ?? ''))).toBe(true);
    expect(c.pollers()[0]!.healthRow()).toMatchObject({ state: 'circuitOpen', consecutiveFailures: 3 });
    dev.behaviour.silent = false;
    await sleep(700);
    expect((await c.pollOnce()).every((x) => x.quality === 'good')).toBe(true);
    expect(c.pollers()[0]!.healthRow()).toMatchObject({ state: 'ok', consecutiveFailures: 0 });
  });
});

describe('modbus collector against misbehaving servers', () => {
  const pts = [point('p', 'activePower', 'holding', 0, 'uint16')];

  it('drops the link on a transaction id mismatch', async () => {
    const raw = await startRawServer((sock, req) => {
      const reply = Buffer.from([0, 0, 0, 0, 0, 5, req[6] ?? 1, 3, 2, 0, 7]);
      reply.writeUInt16BE((req.readUInt16BE(0) + 1) & 0xffff, 0);
      sock.write(reply);
    });
    const c = createModbusCollector(config([device('d1', raw.port)], [meter('m1', 'd1', pts)]), { log });
    try {
      const [r] = await c.pollOnce();
      expect(r).toMatchObject({ quality: 'bad', value: null });
      expect(r?.qualityReason).toMatch(/^transaction id mismatch/);
      expect(c.stats().devices.d1?.drops).toBe(1);
    } finally {
      await c.stop();
      await raw.close();
    }
  });

  it('marks garbage replies bad without crashing', async () => {
    const raw = await startRawServer((sock, req) => {
      const reply = Buffer.from([0, 0, 0, 0, 0, 4, req[6] ?? 1, 3, 9, 0xff]);
      reply.writeUInt16BE(req.readUInt16BE(0), 0);
      sock.write(reply);
    });
    const c = createModbusCollector(config([device('d1', raw.port)], [meter('m1', 'd1', pts)]), { log });
    try {
      const [r] = await c.pollOnce();
      expect(r).toMatchObject({ quality: 'bad', value: null });
      expect(r?.qualityReason).toMatch(/^malformed reply/);
    } finally {
      await c.stop();
      await raw.close();
    }
  });

  it('treats a reply with the wrong byte count as malformed, short or long', async () => {
    for (const registers of [0, 2]) {
      const raw = await startRawServer((sock, req) => {
        const body = [req[6] ?? 1, 3, registers * 2, ...Array<number>(registers * 2).fill(7)];
        const reply = Buffer.from([0, 0, 0, 0, 0, body.length, ...body]);
        reply.writeUInt16BE(req.readUInt16BE(0), 0);
        sock.write(reply);
      });
      const c = createModbusCollector(config([device('d1', raw.port)], [meter('m1', 'd1', pts)]), { log });
      try {
        const [r] = await c.pollOnce();
        expect(r).toMatchObject({ quality: 'bad', value: null });
        expect(r?.qualityReason).toMatch(/^malformed reply/);
        expect(c.stats().devices.d1?.drops).toBeGreaterThanOrEqual(1);
      } finally {
        await c.stop();
        await raw.close();
      }
    }
  });

  it('backs off from a port that refuses connections without waiting', async () => {
    const port = await refusedPort();
    const c = createModbusCollector(config([device('d1', port)], [meter('m1', 'd1', pts)]), { log });
    try {
      const [first] = await c.pollOnce();
      expect(first?.qualityReason).toMatch(/connect failed: ECONNREFUSED/);
      const t0 = Date.now();
      const [second] = await c.pollOnce();
      expect(second?.quality).toBe('bad');
      expect(Date.now() - t0).toBeLessThan(250);
    } finally {
      await c.stop();
    }
  });
});
