import { ManualClock, silentLogger, type LineRollup, type MeterCounterRollup, type Reading } from '@pcf-edge/core';
import { openStore } from '@pcf-edge/store';
import { createLineAggregator, validateAggregatorConfig } from '../src';
import { PointSettingsResolver } from '../src/point-settings';
import { ownSiteModel } from '../src/site-claims';
import { T0, tempDir } from './fixtures';

/**
 * A meter whose profile has two registers for one quantity (schneider-pm5xxx: int64 Wh `energyImportWh` and its
 * float32 kWh twin `energyImportKWh`) counts once in its line's totals: the profile's first register.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const config = validateAggregatorConfig({
  site: 'plant-1',
  gatewayId: 'gw-test',
  windows: ['1m'],
  closeLagMs: 1000,
  gas: { volumeCorrectionFactor: 1, calorificValues: [{ validFrom: '2026-01-01T00:00:00Z', mJPerM3: 39.5 }] },
  meters: [{ id: 'pm', line: 'line-1', role: 'lineTotal', profile: 'schneider-pm5xxx' }],
});

test('the twin register is marked and rolled up per meter, never added to the line', () => {
  const resolver = new PointSettingsResolver(config, ownSiteModel(config));
  expect(resolver.settingsOf('pm', 'energyImportKWh').twinOf).toBe('energyImportWh');
  expect(resolver.settingsOf('pm', 'energyImportWh').twinOf).toBeUndefined();
  expect(resolver.settingsOf('pm', 'energyExportKWh').twinOf).toBe('energyExportWh');

  const store = openStore(tmp.file('twin.db'));
  const readings: Reading[] = [];
  for (let k = 0; k <= 13; k++) {
    const ts = T0 + k * 10_000;
    const base = {
      site: 'plant-1',
      line: 'line-1',
      meterId: 'pm',
      quantity: 'activeEnergyImport',
      kind: 'counter',
      unit: 'kWh',
      sourceTs: ts,
      readTs: ts,
      quality: 'good',
    } as const;
    readings.push(
      { ...base, point: 'energyImportWh', value: 1000 + k * 0.25 },
      { ...base, point: 'energyImportKWh', value: 1000 + k * 0.25 },
    );
  }
  store.insertReadings(readings);
  createLineAggregator(config, { store, clock: new ManualClock(T0), log: silentLogger() }).drain();
  const line = store.listRollups({ type: 'line', windowMs: 60_000 }).map((s) => s.rollup as LineRollup);
  expect(line.map((l) => [l.electricityKWh, l.coverage])).toEqual([
    [1.5, 1],
    [1.5, 1],
  ]);
  const meter = store
    .listRollups({ type: 'meterCounter', windowMs: 60_000 })
    .map((s) => s.rollup as MeterCounterRollup);
  expect(meter.filter((m) => m.point === 'energyImportKWh').map((m) => m.delta)).toEqual([1.5, 1.5]);
  store.close();
});
