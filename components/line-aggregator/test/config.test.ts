import { join } from 'node:path';
import { loadAggregatorConfig } from '../src';
import { resolvePointSettings } from '../src/config';

describe('aggregator config', () => {
  const config = loadAggregatorConfig(join(__dirname, '../config.sample.yaml'));

  it('the example config validates, with defaults applied', () => {
    expect(config.windows).toEqual(['1m', '15m']);
    expect(config.meters).toHaveLength(5);
  });

  it('point settings come from the profile, overridden per point', () => {
    expect(resolvePointSettings(config, 'line1-main', 'energyImport').counter).toMatchObject({
      modulus: null,
      maxRatePerHour: 100,
    });
    expect(resolvePointSettings(config, 'line1-gas', 'volume').counter).toMatchObject({
      modulus: 655.36,
      maxRatePerHour: 60,
    });
    expect(resolvePointSettings(config, 'compressors', 'energyImport')).toMatchObject({
      role: 'baseload',
      counter: { replacementStart: { 'SN-2207': 12.5 } },
    });
    expect(resolvePointSettings(config, 'unknown-meter', 'energy').role).toBeNull();
  });
});
