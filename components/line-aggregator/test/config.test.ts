import { join } from 'node:path';
import { loadAggregatorConfig } from '../src';
import { PointSettingsResolver } from '../src/point-settings';
import { ownSiteModel } from '../src/site-claims';

describe('aggregator config', () => {
  const config = loadAggregatorConfig(join(__dirname, '../config.sample.yaml'));

  it('the example config validates, with defaults applied', () => {
    expect(config.windows).toEqual(['1m', '15m']);
    expect(config.meters).toHaveLength(5);
  });

  it('point settings come from the profile, overridden per point (this configuration alone)', () => {
    const resolver = new PointSettingsResolver(config, ownSiteModel(config));
    expect(resolver.settingsOf('line1-main', 'energyImport').counter).toMatchObject({
      modulus: null,
      maxRatePerHour: 100,
    });
    expect(resolver.settingsOf('line1-gas', 'volume').counter).toMatchObject({
      modulus: 655.36,
      maxRatePerHour: 60,
    });
    expect(resolver.settingsOf('compressors', 'energyImport')).toMatchObject({
      role: 'baseload',
      counter: { replacementStart: { 'SN-2207': 12.5 } },
    });
    expect(resolver.settingsOf('unknown-meter', 'energy').role).toBeNull();
  });
});
