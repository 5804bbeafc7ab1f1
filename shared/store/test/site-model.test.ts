import Database from 'better-sqlite3';
import { isPcfError, pointField, type PcfError, type SiteClaim } from '@pcf-edge/core';
import { openStore, siteClaimProblemsAt, type GatewayStore } from '@pcf-edge/store';
import { tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const MODBUS = 'com.pcfedge.ModbusCollector';
const AGG = 'com.pcfedge.LineAggregator';
const MODULUS = pointField('volume', 'modulus');

const claim = (meterId: string, field: string, value: SiteClaim['value'], place: string, strength = 'given') =>
  ({ meterId, field, value, place, strength }) as SiteClaim;

const collectorClaims = (modulus = 655.36): SiteClaim[] => [
  claim('', 'site', 'plant-1', '/site'),
  claim('gas', 'line', 'line-1', '/meters/0/line'),
  claim('gas', MODULUS, modulus, '/meters/0/points/0/modulus'),
];

function thrown(fn: () => void): PcfError {
  try {
    fn();
  } catch (err) {
    if (isPcfError(err)) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('site model in the gateway store', () => {
  let store: GatewayStore;
  beforeEach(() => (store = openStore(tmp.file())));
  afterEach(() => store.close());

  test('claims of several components merge; equal values agree; the generation counts changes only', () => {
    expect(store.siteModelGeneration()).toBe(0);
    store.publishSiteClaims(MODBUS, 'modbus.yaml', collectorClaims());
    store.publishSiteClaims(AGG, 'agg.json', [
      claim('', 'site', 'plant-1', '/site'),
      claim('gas', 'role', 'lineTotal', '/meters/0/role'),
      claim('gas', 'line', 'line-1', '/meters/0/line'),
    ]);
    const model = store.siteModel();
    expect(model.generation).toBe(2);
    expect(model.value('gas', MODULUS)).toBe(655.36);
    expect(model.value('gas', 'role')).toBe('lineTotal');
    expect(model.value('gas', 'line')).toBe('line-1');
    expect(model.value('other', 'line')).toBeUndefined();

    store.publishSiteClaims(MODBUS, 'modbus.yaml', collectorClaims()); // a restart with the same configuration
    expect(store.siteModelGeneration()).toBe(2);
    store.publishSiteClaims(MODBUS, 'modbus.yaml', collectorClaims(1000));
    expect(store.siteModelGeneration()).toBe(3);
    expect(store.siteModel().value('gas', MODULUS)).toBe(1000);
  });

  test('a contradiction is an error naming both places and changes nothing', () => {
    store.publishSiteClaims(MODBUS, 'modbus.yaml', collectorClaims());
    const before = store.siteModel();
    const err = thrown(() =>
      store.publishSiteClaims(AGG, 'agg.json', [claim('gas', MODULUS, 700, '/meters/0/points/volume/modulus')]),
    );
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.details.errors).toEqual([
      "/meters/0/points/volume/modulus: meter 'gas' point 'volume' modulus 700 at com.pcfedge.LineAggregator " +
        '/meters/0/points/volume/modulus (agg.json) contradicts 655.36 at com.pcfedge.ModbusCollector ' +
        '/meters/0/points/0/modulus (modbus.yaml)',
    ]);
    expect(err.message).toContain('invalid configuration in agg.json');
    expect(store.siteModelGeneration()).toBe(before.generation);
    expect(store.siteModel().value('gas', MODULUS)).toBe(655.36);
    // The same check without writing, as Greengrass validation runs it.
    expect(store.siteClaimProblems(AGG, 'agg.json', [claim('', 'site', 'plant-2', '/site')])).toEqual([
      "/site: site 'plant-2' at com.pcfedge.LineAggregator /site (agg.json) contradicts 'plant-1' at com.pcfedge.ModbusCollector /site (modbus.yaml)",
    ]);
  });

  test('a given value beats a default; differing defaults with no given value contradict', () => {
    const profile = (value: number) =>
      claim('gas', MODULUS, value, '/meters/0/profile (gas-pulse-counter, point volume)', 'default');
    store.publishSiteClaims(MODBUS, 'modbus.yaml', [profile(655.36)]);
    store.publishSiteClaims(AGG, 'agg.json', [claim('gas', MODULUS, null, '/meters/0/points/volume/modulus')]);
    expect(store.siteModel().value('gas', MODULUS)).toBeNull();

    const third = 'com.pcfedge.OpcUaCollector';
    expect(store.siteClaimProblems(third, 'ua.yaml', [profile(42949672.96)])).toEqual([]); // the given null decides
    store.publishSiteClaims(AGG, 'agg.json', []);
    expect(store.siteClaimProblems(third, 'ua.yaml', [profile(42949672.96)])).toHaveLength(1);
  });

  test('siteClaimProblemsAt: no store file or one from before the site model holds no claims', () => {
    const path = tmp.file();
    expect(siteClaimProblemsAt(path, AGG, 'agg.json', collectorClaims())).toEqual([]);
    const s = openStore(path);
    s.publishSiteClaims(MODBUS, 'modbus.yaml', collectorClaims());
    s.close();
    expect(siteClaimProblemsAt(path, AGG, 'agg.json', collectorClaims(1))).toHaveLength(1);

    const old = tmp.file();
    const raw = new Database(old);
    raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts INTEGER)');
    raw.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run('initial');
    raw.close();
    expect(siteClaimProblemsAt(old, AGG, 'agg.json', collectorClaims())).toEqual([]);
  });
});
