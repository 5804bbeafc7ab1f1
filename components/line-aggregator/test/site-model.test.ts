import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  isPcfError,
  ManualClock,
  silentLogger,
  type LineRollup,
  type MeterCounterRollup,
  type PcfError,
} from '@pcf-edge/core';
import {
  COMPONENT_NAME as MODBUS,
  createModbusCollector,
  parseCollectorConfig,
  siteClaimsOf as modbusClaims,
  type ModbusCollector,
} from '@pcf-edge/modbus-collector';
import { openStore, type GatewayStore } from '@pcf-edge/store';
import { startTestDevice, type TestDevice } from '../../modbus-collector/test/support';
import { createLineAggregator, validateAggregatorConfig, type AggregatorStore } from '../src';
import { T0, tempDir } from './fixtures';

/**
 * One site model (docs/adr/0220), the scenario of issue 21: a custom gas meter with a 16-bit pulse register and
 * `modulus: 655.36` on its point in the Modbus collector's configuration, listed in the aggregator's configuration
 * with only its line and role (as the deployment guide used to show). The collector publishes the meter's
 * description into the gateway store; the aggregator reads the modulus there, so the wrap is a rollover.
 * Real parts: a Modbus TCP server (modbus-serial), the collector, a SQLite store, the aggregator.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const log = silentLogger();
const MIN = 60_000;
const STEP = 10_000;
/** Pulses in the uint16 register at T0, T0 + 10 s, …: the register wraps between 65535 and 1. */
const PULSES = [65530, 65532, 65534, 65535, 1, 4, 6, 8, 10, 12];
/** Consumed in [T0, T0 + 1 min): from 65530 to 6 across the wrap = 12 pulses of 0.01 m³. */
const FIRST_WINDOW_M3 = 0.12;

const collectorConfig = (port: number) =>
  parseCollectorConfig(
    {
      site: 'plant-1',
      devices: [{ id: 'gas-io', host: '127.0.0.1', port }],
      meters: [
        {
          id: 'line1-gas',
          line: 'line-1',
          device: 'gas-io',
          unitId: 1,
          pollIntervalMs: 5000,
          role: 'lineTotal',
          points: [
            {
              name: 'volume',
              quantity: 'gasVolume',
              kind: 'counter',
              table: 'holding',
              address: 0,
              type: 'uint16',
              scale: 0.01,
              modulus: 655.36,
              maxRatePerHour: 30,
            },
          ],
        },
      ],
    },
    'modbus.yaml',
  );

const aggregatorConfig = (points: Record<string, unknown> = {}) =>
  validateAggregatorConfig({
    site: 'plant-1',
    gatewayId: 'gw-1',
    windows: ['1m'],
    gas: { volumeCorrectionFactor: 1, calorificValues: [{ validFrom: '2026-01-01T00:00:00Z', mJPerM3: 39.5 }] },
    meters: [{ id: 'line1-gas', line: 'line-1', role: 'lineTotal', points }],
  });

let device: TestDevice;
beforeAll(async () => {
  device = await startTestDevice();
});
afterAll(() => device.close());

/** Polls the meter once per step through a real collector; readings go to the store. */
async function collect(store: GatewayStore, publish: boolean): Promise<void> {
  const clock = new ManualClock(T0);
  const writer = store.createReadingWriter({ maxBatch: 1000, maxDelayMs: 3_600_000 });
  const collector: ModbusCollector = createModbusCollector(collectorConfig(device.port), {
    clock,
    log,
    onReading: (r) => writer.write(r),
    ...(publish ? { siteModel: store, configSource: 'modbus.yaml' } : {}),
  });
  try {
    for (const [k, pulses] of PULSES.entries()) {
      device.set('holding', 1, 0, [pulses]);
      clock.set(T0 + k * STEP);
      const [r] = await collector.pollOnce();
      expect(r).toMatchObject({ quality: 'good', value: (pulses * 100) / 10_000 });
    }
  } finally {
    await collector.stop();
    writer.close();
  }
}

function firstWindow(store: GatewayStore): { meter: MeterCounterRollup; line: LineRollup } {
  const meter = store.listRollups({ type: 'meterCounter', windowMs: MIN }).map((s) => s.rollup as MeterCounterRollup);
  const line = store.listRollups({ type: 'line', windowMs: MIN }).map((s) => s.rollup as LineRollup);
  expect(meter[0]?.windowStart).toBe(new Date(T0).toISOString());
  return { meter: meter[0] as MeterCounterRollup, line: line[0] as LineRollup };
}

test("the collector's modulus reaches the aggregator: the wrap is a rollover with the exact volume", async () => {
  const store = openStore(tmp.file('one-model.db'));
  // The aggregator is up before the collector's first poll: it takes the site model in when it changes.
  const aggregator = createLineAggregator(aggregatorConfig(), { store, clock: new ManualClock(T0), log });
  await collect(store, true);
  aggregator.drain();
  expect(store.listCounterEvents(0).map((e) => e.kind)).toEqual(['rollover']);
  const { meter, line } = firstWindow(store);
  expect(meter.methods).toContain('rollover');
  expect(meter.delta).toBeCloseTo(FIRST_WINDOW_M3, 12);
  expect(line.gasM3).toBeCloseTo(FIRST_WINDOW_M3, 12);
  expect(store.siteModel().value('line1-gas', 'points/volume/modulus')).toBe(655.36);
  store.close();
});

test('without the site model (the collector publishes nothing) the same wrap is a reset and 0.01 m³ is lost', async () => {
  const store = openStore(tmp.file('no-model.db'));
  const aggregator = createLineAggregator(aggregatorConfig(), { store, clock: new ManualClock(T0), log });
  await collect(store, false);
  aggregator.drain();
  const events = store.listCounterEvents(0).map((e) => e.kind);
  expect(events).toContain('reset'); // after a quarantine of the fall, confirmed by the next reading
  expect(events).not.toContain('rollover');
  expect(firstWindow(store).meter.delta).toBeCloseTo(FIRST_WINDOW_M3 - 0.01, 12);
  store.close();
});

test('a site model published while a batch is being read: the batch is redone under it', async () => {
  const store = openStore(tmp.file('mid-batch.db'));
  await collect(store, false); // the readings are in the store, their meter not yet described
  let published = false;
  // The collector publishes its description after the aggregator read its first slice of readings.
  const racing: AggregatorStore = {
    ...bind(store),
    readingRowsAfter(seq, limit) {
      const rows = store.readingRowsAfter(seq, limit);
      if (!published) {
        published = true;
        store.publishSiteClaims(MODBUS, 'modbus.yaml', modbusClaims(collectorConfig(device.port)));
      }
      return rows;
    },
  };
  const aggregator = createLineAggregator(aggregatorConfig(), { store: racing, clock: new ManualClock(T0), log });
  aggregator.drain();
  expect(published).toBe(true);
  expect(store.listCounterEvents(0).map((e) => e.kind)).toEqual(['rollover']);
  expect(firstWindow(store).meter.delta).toBeCloseTo(FIRST_WINDOW_M3, 12);
  store.close();
});

/** The store's methods the aggregator uses, bound (so one of them can be wrapped). */
function bind(store: GatewayStore): AggregatorStore {
  const keys = [
    'readingsAfter',
    'readingRowsAfter',
    'transaction',
    'getState',
    'setState',
    'getAnchors',
    'putAnchors',
    'addCounterEvents',
    'getRollup',
    'putRollups',
    'enqueueOutbox',
    'prune',
    'publishSiteClaims',
    'siteModel',
    'siteModelGeneration',
  ] as const;
  return Object.fromEntries(
    keys.map((k) => [k, (store[k] as (...a: unknown[]) => unknown).bind(store)]),
  ) as unknown as AggregatorStore;
}

function configError(fn: () => unknown): PcfError {
  try {
    fn();
  } catch (err) {
    if (isPcfError(err, 'ERR_CONFIG_INVALID')) return err;
    throw err;
  }
  throw new Error('no configuration error');
}

describe('a contradiction between two components is a configuration error naming both places', () => {
  const COLLECTOR_PLACE = 'com.pcfedge.ModbusCollector /meters/0/points/0/modulus (modbus.yaml)';
  const AGGREGATOR_PLACE = 'com.pcfedge.LineAggregator /meters/0/points/volume/modulus (agg.json)';

  test('the aggregator configured after the collector', async () => {
    const store = openStore(tmp.file('agg-second.db'));
    await collect(store, true);
    const err = configError(() =>
      createLineAggregator(aggregatorConfig({ volume: { modulus: 700 } }), {
        store,
        clock: new ManualClock(T0),
        log,
        configSource: 'agg.json',
      }),
    );
    expect(err.details.errors).toEqual([
      `/meters/0/points/volume/modulus: meter 'line1-gas' point 'volume' modulus 700 at ${AGGREGATOR_PLACE} contradicts 655.36 at ${COLLECTOR_PLACE}`,
    ]);
    store.close();
  });

  test('the collector configured after the aggregator', async () => {
    const store = openStore(tmp.file('collector-second.db'));
    createLineAggregator(aggregatorConfig({ volume: { modulus: 700 } }), {
      store,
      clock: new ManualClock(T0),
      log,
      configSource: 'agg.json',
    });
    const collector = createModbusCollector(collectorConfig(device.port), {
      log,
      store,
      siteModel: store,
      configSource: 'modbus.yaml',
    });
    const err = configError(() => collector.start());
    expect(err.details.errors).toEqual([
      `/meters/0/points/0/modulus: meter 'line1-gas' point 'volume' modulus 655.36 at ${COLLECTOR_PLACE} contradicts 700 at ${AGGREGATOR_PLACE}`,
    ]);
    expect(store.readingsAfter(0, 10)).toEqual([]); // it never polled
    await collector.stop();
    store.close();
  });

  test('the aggregator process exits 2 with the error on stderr', async () => {
    const storeFile = tmp.file('process.db');
    const store = openStore(storeFile);
    await collect(store, true);
    store.close();
    const config = tmp.file('agg.json');
    writeFileSync(
      config,
      JSON.stringify({ site: 'plant-2', gatewayId: 'gw-1', meters: [{ id: 'line1-gas', role: 'lineTotal' }] }),
    );
    const tsx = require.resolve('tsx/cli');
    const main = resolve(__dirname, '../src/main.ts');
    const run = promisify(execFile)(process.execPath, [tsx, main, '--config', config, '--store', storeFile, '--once']);
    await expect(run).rejects.toMatchObject({ code: 2 });
    const { stderr } = (await run.catch((e: unknown) => e)) as { stderr: string };
    expect(stderr).toContain('ERR_CONFIG_INVALID');
    expect(stderr).toContain(
      `/site: site 'plant-2' at com.pcfedge.LineAggregator /site (${config}) contradicts 'plant-1' at com.pcfedge.ModbusCollector /site (modbus.yaml)`,
    );
  }, 60_000);
});
