import { join } from 'node:path';
import {
  COMPONENT_NAME as MODBUS,
  loadCollectorConfig,
  siteClaimsOf as modbusClaims,
} from '@pcf-edge/modbus-collector';
import { openStore } from '@pcf-edge/store';
import { loadAggregatorConfig } from '../src';
import { PointSettingsResolver } from '../src/point-settings';
import { COMPONENT_NAME, ownSiteModel, siteClaimsOf } from '../src/site-claims';
import { tempDir } from './fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('aggregator config', () => {
  const config = loadAggregatorConfig(join(__dirname, '../config.sample.yaml'));

  it('the example config validates, with defaults applied', () => {
    expect(config.windows).toEqual(['1m', '15m']);
    expect(config.meters).toHaveLength(2);
  });

  it("the samples describe each meter once: settings come from the collector's sample, the aggregator adds its own", () => {
    const store = openStore(tmp.file('samples.db'));
    const sample = join(__dirname, '../../modbus-collector/config.sample.yaml');
    store.publishSiteClaims(MODBUS, sample, modbusClaims(loadCollectorConfig(sample)));
    store.publishSiteClaims(COMPONENT_NAME, 'config.sample.yaml', siteClaimsOf(config));
    const resolver = new PointSettingsResolver(config, store.siteModel());
    store.close();
    expect(resolver.settingsOf('line1-gas', 'volume')).toMatchObject({
      role: 'lineTotal',
      counter: { modulus: 655.36, maxRatePerHour: 30 },
    });
    expect(resolver.lineOf('line1-gas')).toBe('line-1');
    // The press's profile allows 100 kWh/h; its entry in the collector's sample overrides that.
    expect(resolver.settingsOf('line1-press', 'energyImport')).toMatchObject({
      role: 'subMeter',
      counter: { modulus: null, maxRatePerHour: 60 },
    });
    expect(resolver.settingsOf('line1-main', 'energyImportKWh').twinOf).toBe('energyImportWh');
    expect(resolver.settingsOf('line1-main', 'activePower').gauge).toMatchObject({ deadband: 0.5, spikeThreshold: 50 });
    expect(resolver.settingsOf('compressors', 'energyImport')).toMatchObject({
      role: null, // no collector in the samples reads it
      counter: { replacementStart: { 'SN-2207': 12.5 } },
    });
  });

  it('an older configuration that still describes its meters resolves alone as before', () => {
    const old = loadAggregatorConfig(join(__dirname, '../config.sample.yaml'));
    const legacy = {
      ...old,
      meters: [
        {
          id: 'g',
          line: 'L',
          role: 'lineTotal' as const,
          profile: 'gas-pulse-counter',
          points: { volume: { maxRatePerHour: 60 } },
        },
      ],
    };
    const resolver = new PointSettingsResolver(legacy, ownSiteModel(legacy));
    expect(resolver.settingsOf('g', 'volume')).toMatchObject({
      role: 'lineTotal',
      counter: { modulus: 655.36, maxRatePerHour: 60 },
    });
    expect(resolver.settingsOf('unknown-meter', 'energy').role).toBeNull();
  });
});
