import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger } from '@pcf-edge/core';
import {
  createControlServer,
  createMeterSimulator,
  createTruthWriter,
  type ControlServer,
  type MeterSimulator,
} from '../src';
import { close, connect, demoScenario, failure } from './helpers';

const AT = Date.parse('2026-11-02T07:00:00Z');
let sim: MeterSimulator;
let control: ControlServer;
const url = (path: string): string => `http://127.0.0.1:${control.port}${path}`;

beforeAll(async () => {
  sim = createMeterSimulator(demoScenario({ opcua: false }), { clock: new ManualClock(AT) });
  await sim.start();
  control = createControlServer(sim, { port: 0, log: silentLogger() });
  await control.start();
});

afterAll(async () => {
  await control.stop();
  await sim.stop();
});

describe('HTTP control endpoint', () => {
  it('POST /faults injects a fault that the Modbus device applies; DELETE /faults clears it', async () => {
    const res = await fetch(url('/faults'), {
      method: 'POST',
      body: JSON.stringify({ target: 'line2-feed-a', type: 'exception', code: 6 }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ target: 'line2-feed-a', type: 'exception', atMs: AT, endMs: null });
    const c = await connect(sim.ports.modbus['panel-b'] as number, 1);
    expect((await failure(c.readInputRegisters(0x42, 2))).modbusCode).toBe(6);
    const del = await fetch(url('/faults?target=line2-feed-a'), { method: 'DELETE' });
    expect(await del.json()).toEqual({ cleared: 1 });
    expect((await c.readInputRegisters(0x42, 2)).data).toHaveLength(2);
    await close(c);
  });

  it('rejects bad requests with a code', async () => {
    const bad = await fetch(url('/faults'), {
      method: 'POST',
      body: JSON.stringify({ target: 'panel-a', type: 'melt' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'ERR_CONFIG_INVALID' });
    const unknown = await fetch(url('/faults'), {
      method: 'POST',
      body: JSON.stringify({ target: 'nope', type: 'noReply' }),
    });
    expect(unknown.status).toBe(404);
    const notJson = await fetch(url('/faults'), { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('GET /truth returns the snapshot for a given instant', async () => {
    const res = await fetch(url(`/truth?ts=${AT + 3_600_000}`));
    const body = (await res.json()) as { ts: number; lines: Record<string, { unitsGood: number }> };
    expect(body.ts).toBe(AT + 3_600_000);
    expect(body.lines['line-1']?.unitsGood).toBe(sim.truth.at(AT + 3_600_000).lines['line-1']?.unitsGood);
  });
});

describe('truth writer', () => {
  it('writes the snapshot as JSON at start and stop', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'truth-')), 'truth.json');
    const w = createTruthWriter(sim, file, { intervalMs: 60_000, log: silentLogger() });
    w.start();
    w.stop();
    expect(existsSync(file)).toBe(true);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      ts: number;
      meters: Record<string, { points: Record<string, number> }>;
    };
    expect(doc.ts).toBe(AT);
    expect(doc.meters['line1-main']?.points.energyImportWh).toBe(
      sim.truth.at(AT).meters['line1-main']?.points.energyImportWh,
    );
  });
});
