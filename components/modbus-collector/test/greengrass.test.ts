import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ManualClock, readDataFile, silentLogger } from '@pcf-edge/core';
import { RESTART_EXIT_CODE } from '@pcf-edge/greengrass-ipc';
import { createMeterSimulator, validateScenario, type MeterSimulator, type Scenario } from '@pcf-edge/meter-simulators';
import { openStore } from '@pcf-edge/store';
import { useComponentUnderNucleus } from '../../../test-support/greengrass-ipc-server/component-harness';
import { until } from '../../../test-support/standalone/processes';
import { readingsIn } from '../../../test-support/standalone/store';

/**
 * The collector as a real process (tsx main.ts) under the Greengrass IPC test server: configuration from the
 * nucleus, RUNNING, a live change, a rejected update, a restart-only change; polling the simulator's meter.
 */
jest.setTimeout(180_000);
const COMPONENT = 'com.pcfedge.ModbusCollector';
const gg = useComponentUnderNucleus({
  component: COMPONENT,
  token: 'modbus-token',
  main: 'components/modbus-collector/src/main.ts',
  tmpPrefix: 'modbus-gg-',
});

let sim: MeterSimulator;

function scenario(): Scenario {
  const raw = readDataFile(join(gg.root, 'simulators/scenarios/demo-factory.yaml')) as Scenario;
  for (const d of raw.modbus.devices) d.port = 0;
  delete raw.opcua;
  raw.faults = [];
  return structuredClone(validateScenario(raw, 'demo-factory (greengrass test)')) as Scenario;
}

function configuration(store: string): Record<string, unknown> {
  return {
    storePath: store,
    site: 'plant-1',
    devices: [{ id: 'panel-a', host: '127.0.0.1', port: sim.ports.modbus['panel-a'], timeoutMs: 2000 }],
    meters: [
      {
        id: 'line1-main',
        line: 'line-1',
        device: 'panel-a',
        unitId: 1,
        profile: 'schneider-pm5xxx',
        pollIntervalMs: 200,
      },
    ],
    batch: { maxBatch: 10, maxDelayMs: 100 },
  };
}

const maxSeq = (store: string): number => Math.max(0, ...readingsIn(store).map((r) => r.seq));

beforeAll(async () => {
  sim = createMeterSimulator(scenario(), {
    clock: new ManualClock(Date.parse('2026-11-02T09:00:00Z')),
    log: silentLogger(),
  });
  await sim.start();
});

afterAll(async () => {
  await sim.stop();
});

describe('modbus collector under Greengrass', () => {
  it('runs on the nucleus configuration, applies a live change, rejects a bad update and keeps running', async () => {
    const store = gg.storePath('live');
    gg.server.setConfiguration(COMPONENT, configuration(store));
    const p = gg.start(store);
    await until('RUNNING', () => gg.server.states.length > 0, 90_000, p.stderr);
    expect(gg.server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);
    await until(
      'readings for plant-1',
      () => readingsIn(store).some((r) => r.site === 'plant-1' && r.quality === 'good'),
      60_000,
      p.stderr,
    );

    gg.server.updateConfiguration(COMPONENT, ['site'], 'plant-2');
    await until(
      'readings stamped with the new site',
      () => readingsIn(store).some((r) => r.site === 'plant-2'),
      60_000,
      p.stderr,
    );

    const report = await gg.server.validateConfiguration(
      COMPONENT,
      { ...configuration(store), site: 'plant-2', healthIntervalMs: 1 },
      'deployment-1',
    );
    expect(report).toEqual(
      expect.objectContaining({ status: 'REJECTED', message: expect.stringContaining('/healthIntervalMs') as unknown }),
    );

    // A deployment replaces a list as a whole (Greengrass stores arrays as leaf values).
    gg.server.updateConfiguration(
      COMPONENT,
      ['meters'],
      [{ id: 'line1-main', line: 'line-1', device: 'no-such-device', unitId: 1, profile: 'schneider-pm5xxx' }],
    );
    await until('the rejection logged', () => p.stderr().includes("unknown device 'no-such-device'"), 30_000, p.stderr);
    const seqAfterReject = maxSeq(store);
    await until(
      'readings continuing on the previous configuration',
      () => readingsIn(store).some((r) => r.seq > seqAfterReject && r.site === 'plant-2' && r.meterId === 'line1-main'),
      30_000,
      p.stderr,
    );
    expect(gg.server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);

    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
  });

  it('rejects a deployment that contradicts another component, naming both places', async () => {
    const store = gg.storePath('site-model'); // under the Greengrass work tree, as the store path rule requires
    mkdirSync(dirname(store), { recursive: true });
    const other = openStore(store);
    other.publishSiteClaims('com.pcfedge.LineAggregator', 'agg.json', [
      { meterId: 'line1-main', field: 'role', value: 'subMeter', strength: 'given', place: '/meters/0/role' },
    ]);
    other.close();
    gg.server.setConfiguration(COMPONENT, configuration(store));
    const p = gg.start(store);
    await until('RUNNING', () => gg.server.states.length > 0, 90_000, p.stderr);
    const meters = (configuration(store).meters as Record<string, unknown>[]).map((m) => ({ ...m, role: 'lineTotal' }));
    const report = await gg.server.validateConfiguration(
      COMPONENT,
      { ...configuration(store), meters },
      'deployment-2',
    );
    expect(report).toEqual(
      expect.objectContaining({
        status: 'REJECTED',
        message: expect.stringContaining(
          "/meters/0/role: meter 'line1-main' role 'lineTotal' at com.pcfedge.ModbusCollector /meters/0/role " +
            `(Greengrass configuration of ${COMPONENT}) contradicts 'subMeter' at com.pcfedge.LineAggregator /meters/0/role (agg.json)`,
        ) as unknown,
      }),
    );
    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
  });

  it('exits with the restart code when a restart-only key changes', async () => {
    const store = gg.storePath('restart');
    gg.server.setConfiguration(COMPONENT, configuration(store));
    const p = gg.start(store);
    await until('RUNNING', () => gg.server.states.length > 0, 90_000, p.stderr);
    gg.server.updateConfiguration(COMPONENT, ['batch', 'maxBatch'], 50);
    expect(await p.exited()).toBe(RESTART_EXIT_CODE);
  });

  it('reports ERRORED and exits 1 on an invalid configuration at start', async () => {
    const store = gg.storePath('bad');
    gg.server.setConfiguration(COMPONENT, { ...configuration(store), devices: [] });
    const p = gg.start(store);
    expect(await p.exited(90_000)).toBe(1);
    expect(gg.server.states).toEqual([{ component: COMPONENT, state: 'ERRORED' }]);
    expect(p.stderr()).toContain("unknown device 'panel-a'");
  });
});
