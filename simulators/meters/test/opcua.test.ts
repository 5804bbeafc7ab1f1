import { ManualClock } from '@pcf-edge/core';
import { divideToInteger } from '@pcf-edge/profiles';
import { AttributeIds, OPCUAClient, type ClientSession } from 'node-opcua';
import { createMeterSimulator, type MeterSimulator } from '../src';
import { demoScenario } from './helpers';

// node-opcua-debug imports the ESM-only `hexy` package, which jest's CommonJS runtime cannot load; its hex dumps
// are only used in debug output.
jest.mock('hexy', () => ({ hexy: (b: Buffer) => b.toString('hex') }));

/** One OPC UA server for the whole file: node-opcua starts slowly. */
jest.setTimeout(120_000);
const AT = Date.parse('2026-11-02T13:05:00Z');
const clock = new ManualClock(AT);
let sim: MeterSimulator;
let client: OPCUAClient;
let session: ClientSession;
let ns: number;

async function read(node: string): Promise<{ value: unknown; status: string }> {
  const dv = await session.read({ nodeId: `ns=${ns};s=${node}`, attributeId: AttributeIds.Value });
  return { value: dv.value.value as unknown, status: dv.statusCode.name };
}

beforeAll(async () => {
  sim = createMeterSimulator(demoScenario({ opcua: true }), { clock });
  await sim.start();
  client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 2, initialDelay: 200 } });
  await client.connect(sim.opcua?.endpoint as string);
  session = await client.createSession();
  await session.readNamespaceArray();
  ns = session.getNamespaceIndex('urn:pcf-edge:simulator');
});

afterAll(async () => {
  await session?.close().catch(() => undefined);
  await client?.disconnect();
  await sim?.stop();
});

describe('OPC UA meters against ground truth', () => {
  it('UInt64 Wh arrives as [high, low] and equals the truth exactly', async () => {
    const { value, status } = await read('line2-oven.EnergyImportWh');
    expect(status).toBe('Good');
    const [hi, lo] = value as [number, number];
    const wh = (BigInt(hi) << 32n) | BigInt(lo);
    const truth = sim.truth.at(AT).meters['line2-oven']?.points.EnergyImportWh as number;
    expect(wh).toBe(divideToInteger(truth, 0.001));
    expect(truth).toBeGreaterThan(7654.321);
  });

  it('gas Double totaliser, line counters and machine state equal the truth', async () => {
    const truth = sim.truth.at(AT);
    expect((await read('line2-gas.Volume')).value).toBe(truth.meters['line2-gas']?.points.Volume);
    expect((await read('line1-counter.GoodCount')).value).toBe(truth.meters['line1-counter']?.points.GoodCount);
    expect((await read('line1-counter.ScrapCount')).value).toBe(truth.meters['line1-counter']?.points.ScrapCount);
    expect((await read('line2-oven-state.State')).value).toBe(2);
    expect((await read('line2-gas.Serial')).value).toBe('G16-558812');
    const line1 = sim.truth.lineEnergy('line-1', Date.parse('2026-11-02T06:00:00Z'), AT);
    expect(truth.meters['line1-counter']?.points.GoodCount).toBe(150000 + line1.unitsGood);
  });

  it('values follow the simulated clock on the next tick', async () => {
    clock.set(AT + 600_000);
    await sim.clearFaults(); // runs a tick
    const truth = sim.truth.at(AT + 600_000).meters['line2-gas']?.points.Volume;
    expect((await read('line2-gas.Volume')).value).toBe(truth);
  });

  it('badStatus puts the Bad code on the meter’s nodes until cleared', async () => {
    await sim.injectFault('line2-gas', { type: 'badStatus', statusCode: 'BadCommunicationError' });
    expect((await read('line2-gas.Volume')).status).toBe('BadCommunicationError');
    expect((await read('line2-oven.Power')).status).toBe('Good');
    await sim.clearFaults('line2-gas');
    expect((await read('line2-gas.Volume')).status).toBe('Good');
    await expect(
      sim.injectFault('line2-gas', { type: 'badStatus', statusCode: 'BadNoSuchCode' }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });

  it('counterReset on a UInt32 line counter restarts it at 0 while truth consumption continues', async () => {
    const t = clock.now();
    await sim.injectFault('line2-counter', { type: 'counterReset' });
    expect((await read('line2-counter.GoodCount')).value).toBe(0);
    clock.set(t + 3_600_000);
    await sim.clearFaults(); // runs a tick; counter events stay
    const produced = sim.truth.lineEnergy('line-2', t, t + 3_600_000).unitsGood;
    expect(produced).toBeGreaterThan(0);
    expect((await read('line2-counter.GoodCount')).value).toBe(produced);
    expect(sim.truth.at(t + 3_600_000).meters['line2-counter']?.points.GoodCount).toBe(produced);
  });

  it('restart brings the server back on the same port with the same values', async () => {
    const port = sim.ports.opcua;
    await sim.injectFault('opcua', { type: 'restart', durationSec: 0 });
    expect(sim.ports.opcua).toBe(port);
    const c2 = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 3, initialDelay: 200 } });
    await c2.connect(sim.opcua?.endpoint as string);
    const s2 = await c2.createSession();
    try {
      const dv = await s2.read({ nodeId: `ns=${ns};s=line2-gas.Volume`, attributeId: AttributeIds.Value });
      expect(dv.value.value).toBe(sim.truth.at(clock.now()).meters['line2-gas']?.points.Volume);
    } finally {
      await s2.close();
      await c2.disconnect();
    }
  });
});
