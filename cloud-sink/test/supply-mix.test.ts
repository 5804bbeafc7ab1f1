import { rmSync } from 'node:fs';
import { isPcfError, rollupId, type SiteRollup } from '@pcf-edge/core';
import {
  computePeriod,
  lineEnergy,
  toMicro,
  type CalcOptions,
  type EnergyWindow,
  type TraceNode,
} from '@pcf-edge/pcf-engine';
import { verifyAudit } from '../src/audit/verify';
import { decodeRollups } from '../src/ingest/quantities';
import { importReferenceFile } from '../src/reference/import';
import { emptySnapshot, withEntities } from '../src/reference/snapshot';
import type { ReferenceKind, ReferenceSnapshot } from '../src/reference/types';
import { TEMPLATE_DIR } from '../src/reference/formats';
import { importDirectory } from '../src/service/demo';
import { PcfService } from '../src/service/pcf-service';
import { lineRollup, tempDb, type TempDb } from './helpers';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';

/**
 * Issue 22, item 6 (ADR 0250): the market-based factor derived from a site's supply mix — certificates and contracts
 * first, the residual mix for the rest, never more contracted volume than consumption.
 */

function snapshot(data: Partial<Record<ReferenceKind, Record<string, unknown>[]>>): ReferenceSnapshot {
  let s = emptySnapshot();
  for (const [kind, rows] of Object.entries(data)) {
    const entities = rows.map((r) => ({ entityId: r.id as string, version: 1, hash: '', data: r }));
    s = withEntities(s, kind as ReferenceKind, entities);
  }
  return s;
}
const factor = (id: string, unit: string, co2e: string) => ({
  id,
  activity: 'electricity',
  region: 'GB',
  unit,
  energyBasis: null,
  components: { CO2e: co2e },
  source: 's',
  version: '1',
  validFrom: '2020-01-01',
  validTo: null,
});
const mix = (sources: Record<string, unknown>[], validFrom = '2026-11-01', validTo: string | null = '2026-12-01') => ({
  id: 'mix-nov',
  site: 'plant-1',
  validFrom,
  validTo,
  sources,
});
const CERT_300 = { source: 'certificate', volume: '300', unit: 'MWh', factorId: 'rec', instrument: 'GO batch 42' };
const RESIDUAL = { source: 'residual-mix', factorId: 'residual' };
const order = (id: string, line: string) => ({
  id,
  line,
  product: id === 'oa' ? 'a' : 'b',
  start: '2026-11-01T00:00:00Z',
  end: '2026-12-01T00:00:00Z',
  goodQuantity: '1000',
  scrapQuantity: '0',
});
const piece = (id: string) => ({
  id,
  declaredUnit: 'piece',
  unitaryProductAmount: '1',
  massKgPerDeclaredUnit: '1',
  productIds: [`urn:${id}`],
});
const base = {
  sites: [{ id: 'plant-1', region: 'GB' }],
  lines: [
    { id: 'line-1', site: 'plant-1' },
    { id: 'line-2', site: 'plant-1' },
  ],
  products: [piece('a'), piece('b')],
  factors: [factor('grid', 'kWh', '0.5'), factor('rec', 'MWh', '0'), factor('residual', 'kWh', '0.4')],
  electricity: [
    { id: 'm', site: 'plant-1', validFrom: '2020-01-01', validTo: null, locationFactorId: 'grid', provenance: 'p' },
  ],
  orders: [order('oa', 'line-1'), order('ob', 'line-2')],
};
const NOV: CalcOptions = {
  periodStart: '2026-11-01T00:00:00Z',
  periodEnd: '2026-12-01T00:00:00Z',
  method: 'market',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
};
const win = (kWh: number, start = '2026-11-02T00:00:00Z'): EnergyWindow => ({
  startMs: Date.parse(start),
  windowMs: 900_000,
  site: 'plant-1',
  estimated: false,
  coverage: 1,
  electricity: toMicro(kWh)!,
  gasM3: 0,
  gasKWh: 0,
  gasCvBasis: null,
});
/** line-1 600 MWh, line-2 300 MWh, the site's baseload 100 MWh: 1,000 MWh in November. */
const run = (s: ReferenceSnapshot, o: Partial<CalcOptions> = {}, lines = ['line-1', 'line-2']) =>
  computePeriod({
    snapshot: s,
    lines: new Map(
      lines.map((l) => [
        l,
        lineEnergy(l === 'line-1' ? [win(400_000), win(200_000, '2026-11-20T00:00:00Z')] : [win(300_000)]),
      ]),
    ),
    sites: new Map([['plant-1', lineEnergy([win(100_000)])]]),
    options: { ...NOV, ...o },
  });
const marketKg = (calc: ReturnType<typeof run>, id: string) => {
  const o = calc.orders.get(id)!;
  return o.energy.electricityMarket.plus(o.overhead.electricityMarket);
};
const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
};

describe('electricity by the supply mix (engine)', () => {
  it('1,000 MWh consumed, 300 MWh of certificates at 0, residual mix 0.4 kg/kWh ⇒ 280 t market-based', () => {
    const calc = run(snapshot({ ...base, supply: [mix([CERT_300, RESIDUAL])] }));
    // the site's market-based factor is (300,000 × 0 + 700,000 × 0.4) ÷ 1,000,000 = 0.28 kg/kWh
    expect(marketKg(calc, 'oa').plus(marketKg(calc, 'ob')).toString()).toBe('280000');
    // line-1's 600 MWh and half the baseload (key units: 1000 : 1000) = 650 MWh × 0.28
    expect(marketKg(calc, 'oa').toString()).toBe('182000');
    expect(calc.orders.get('oa')!.energy.electricityMarket.toString()).toBe('168000');
    // location-based stays the grid factor: 650 MWh × 0.5
    const oa = calc.orders.get('oa')!;
    expect(oa.energy.electricityLocation.plus(oa.overhead.electricityLocation).toString()).toBe('325000');
    expect(calc.usedEntities().has('supply:mix-nov')).toBe(true);
  });

  it('the derivation shows the split: each source kWh, factor and kgCO2e, the residual kWh and factor', () => {
    const calc = run(snapshot({ ...base, supply: [mix([CERT_300, RESIDUAL])] }));
    const nodes = calc.orders.get('oa')!.energy.trace();
    const market = nodes.find((n) => n.name === 'electricity market-based (supply mix mix-nov)')!;
    expect(market).toMatchObject({
      value: '168000',
      formula: '600000 kWh × 280000 kgCO2e ÷ 1000000 kWh (site plant-1 in the period)',
    });
    expect(market.children!.map((c: TraceNode) => [c.name, c.value, c.formula])).toEqual([
      ['site plant-1 electricity metered in the period (its lines and baseload)', '1000000', undefined],
      ['certificate (rec, GO batch 42): 300000 kWh', '0', '300 MWh = 300000 kWh → MWh × 0 kgCO2e/MWh'],
      ['residual mix (residual): 700000 kWh', '280000', '1000000 − 300000 = 700000 kWh → kWh × 0.4 kgCO2e/kWh'],
    ]);
  });

  it('1,200 MWh of certificates for 1,000 MWh consumed ⇒ ERR_SUPPLY_EXCEEDS naming the excess, site and period', () => {
    const over = snapshot({ ...base, supply: [mix([{ ...CERT_300, volume: '1200' }, RESIDUAL])] });
    for (const method of ['market', 'location'] as const) {
      const err = caught(() => run(over, { method }));
      expect(isPcfError(err, 'ERR_SUPPLY_EXCEEDS')).toBe(true);
      expect((err as Error).message).toBe(
        'supply mix mix-nov: contracted and certified electricity of site plant-1 exceeds its consumption in ' +
          '2026-11-01T00:00:00.000Z – 2026-12-01T00:00:00.000Z by 200000 kWh (1200000 kWh against 1000000 kWh metered)',
      );
      expect((err as { details: unknown }).details).toMatchObject({ site: 'plant-1', excessKWh: '200000' });
    }
  });

  it('shares of consumption apply to any period inside the mix: 30 % at 0 ⇒ the same 0.28 kg/kWh', () => {
    const shares = snapshot({
      ...base,
      supply: [
        mix([{ ...CERT_300, volume: undefined, unit: undefined, sharePercent: '30' }, RESIDUAL], '2026-01-01', null),
      ],
    });
    const calc = run(shares);
    expect(marketKg(calc, 'oa').plus(marketKg(calc, 'ob')).toString()).toBe('280000');
  });

  it('volumes for another period: market-based refused, location-based warns and uses the mapping', () => {
    const s = snapshot({ ...base, supply: [mix([CERT_300, RESIDUAL])] });
    const week = { periodStart: '2026-11-01T00:00:00Z', periodEnd: '2026-11-08T00:00:00Z' };
    const err = caught(() => run(s, week));
    expect(isPcfError(err, 'ERR_SUPPLY_PERIOD')).toBe(true);
    expect((err as Error).message).toBe(
      'supply mix mix-nov of site plant-1 gives volumes for 2026-11-01 – 2026-12-01, not for ' +
        '2026-11-01T00:00:00.000Z – 2026-11-08T00:00:00.000Z: calculate its period, or give shares',
    );
    const calc = run(s, { ...week, method: 'location' });
    const oa = calc.orders.get('oa')!;
    expect(oa.energy.warnings[0]).toMatch(
      /^supply mix mix-nov .* the market-based figures use the electricity mapping$/,
    );
    // the mapping has no market factor, so the location factor stands in (ADR 0241): 400 MWh × 0.5
    expect(oa.energy.electricityMarket.toString()).toBe('200000');
  });

  it('a site with a mix needs all of its lines: a calculation given only some is a broken read contract', () => {
    const s = snapshot({ ...base, supply: [mix([CERT_300, RESIDUAL])] });
    expect(() => run(s, {}, ['line-1'])).toThrow(/site plant-1 has a supply mix but lines line-2 were not loaded/);
  });

  it('without a mix the mapping prices the market-based figures as before', () => {
    const withMarket = snapshot({
      ...base,
      electricity: [{ ...base.electricity[0], marketFactorId: 'residual', marketInstrument: 'residual-mix' }],
    });
    expect(marketKg(run(withMarket, {}, ['line-1']), 'oa').toString()).toBe('260000'); // 650 MWh × 0.4
  });
});

const CSV = {
  sites: 'id,region,country\nplant-1,GB,GB\n',
  lines: 'id,site\nline-1,plant-1\nline-2,plant-1\n',
  products: 'id,declaredUnit,unitaryProductAmount,massKgPerDeclaredUnit,productIds\na,piece,1,1,A-1\nb,piece,1,1,B-1\n',
  factors:
    'id,activity,region,unit,source,version,validFrom,CO2e\n' +
    'grid,electricity,GB,kWh,s,1,2020-01-01,0.5\nrec,electricity,GB,MWh,s,1,2020-01-01,0\n' +
    'residual,electricity,GB,kWh,s,1,2020-01-01,0.4\n',
  electricity: 'id,site,validFrom,locationFactorId,provenance\nm,plant-1,2020-01-01,grid,p\n',
  orders:
    'id,line,product,start,end,goodQuantity,scrapQuantity\n' +
    'oa,line-1,a,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,1000,0\n' +
    'ob,line-2,b,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,1000,0\n',
};
const SUPPLY_HEADER = 'id,site,validFrom,validTo,source,volume,unit,sharePercent,factorId,instrument\n';
const SUPPLY_280 =
  SUPPLY_HEADER +
  'mix-nov,plant-1,2026-11-01,2026-12-01,certificate,300,MWh,,rec,GO batch 42\n' +
  'mix-nov,plant-1,2026-11-01,2026-12-01,residual-mix,,,,residual,\n';

async function importAll(t: TempDb, supply: string): Promise<void> {
  for (const [kind, text] of Object.entries(CSV))
    await importReferenceFile(t.repo, kind as ReferenceKind, t.write(`${kind}.csv`, text));
  await importReferenceFile(t.repo, 'supply', t.write('supply.csv', supply));
}
const siteRollup = (windowStart: string, baseloadKWh: number): SiteRollup => ({
  id: rollupId({ type: 'site', site: 'plant-1', windowMs: 900_000, windowStartMs: Date.parse(windowStart) }),
  revision: 1,
  type: 'site',
  site: 'plant-1',
  windowStart,
  windowMs: 900_000,
  coverage: 1,
  estimated: false,
  flags: [],
  electricityKWh: 0,
  baseloadKWh,
  gasM3: 0,
  gasKWh: 0,
  gasCvBasis: null,
  unitsGood: 0,
  unitsScrap: 0,
  lines: ['line-1', 'line-2'],
});

/** A SQLite file, or a fresh schema of the test PostgreSQL server, with a temp folder for the files to import. */
async function openStore(kind: 'sqlite' | 'postgres'): Promise<TempDb> {
  const t = tempDb();
  if (kind === 'sqlite') return t;
  await t.repo.close();
  const pg = await openPgInFreshSchema(PG_URL!);
  return {
    ...t,
    repo: pg.repo,
    cleanup: async () => {
      await pg.dispose();
      rmSync(t.dir, { recursive: true, force: true });
    },
  };
}
if (!PG_URL) pgSkipNotice('supply-mix');

describe.each(PG_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const))(
  'electricity by the supply mix (%s store, calculation, audit)',
  (store) => {
    let t: TempDb;
    beforeEach(async () => {
      t = await openStore(store);
    });
    afterEach(async () => {
      await t.cleanup();
    });

    it('a stored calculation of one product reads the whole site, prices 0.28 kg/kWh and its audit record verifies', async () => {
      await importAll(t, SUPPLY_280);
      const rollups = [
        lineRollup('line-1', '2026-11-02T00:00:00.000Z', 1, 600_000),
        lineRollup('line-2', '2026-11-02T00:00:00.000Z', 1, 300_000),
        siteRollup('2026-11-02T00:00:00.000Z', 100_000),
      ];
      await t.repo.ingest({ rollups: decodeRollups(rollups), deadLetters: [] });
      const service = new PcfService(t.repo);
      const { doc, audit } = await service.calculateAndStore('a', NOV);
      // 600 MWh of line-1 and half of the 100 MWh baseload, at 0.28 kg/kWh
      expect(doc.breakdownKg.electricityMarket).toBe('168000');
      expect(doc.breakdownKg.overheadElectricityMarket).toBe('14000');
      const body = JSON.parse((await t.repo.listAuditRecords()).at(-1)!.body) as {
        inputs: { lines: string[]; entities: { kind: string; id: string }[] };
        derivation: unknown;
      };
      expect(body.inputs.lines).toEqual(['line-1', 'line-2']);
      expect(body.inputs.entities).toContainEqual(expect.objectContaining({ kind: 'supply', id: 'mix-nov' }));
      expect(JSON.stringify(body.derivation)).toContain('residual mix (residual): 700000 kWh');
      expect(audit.resultId).toBeDefined();
      const report = await verifyAudit(t.repo);
      expect(report.records.map((r) => r.problems)).toEqual([[]]);
      expect(report.ok).toBe(true);
    });

    it('the template (docs/reference-data.md): 25 % PPA and 10 % certificates at 0, residual 0.5 ⇒ 0.325 kg/kWh', async () => {
      await importDirectory(t.repo, TEMPLATE_DIR);
      const ws = '2026-11-02T06:00:00.000Z';
      const id = rollupId({
        type: 'line',
        site: 'plant-us',
        line: 'press-1',
        windowMs: 900_000,
        windowStartMs: Date.parse(ws),
      });
      const rollup = lineRollup('press-1', ws, 1, 1000, { id, site: 'plant-us' });
      await t.repo.ingest({ rollups: decodeRollups([rollup]), deadLetters: [] });
      const day = { ...NOV, periodStart: '2026-11-02T00:00:00Z', periodEnd: '2026-11-03T00:00:00Z' };
      const { doc } = await new PcfService(t.repo).calculateProduct('bracket', day);
      expect(doc.breakdownKg.electricityMarket).toBe('325');
      expect(doc.breakdownKg.electricityLocation).toBe('431.787');
    });

    it('1,200 MWh of certificates: the calculation is refused, naming the excess', async () => {
      await importAll(t, SUPPLY_280.replace(',300,MWh,', ',1200,MWh,'));
      await t.repo.ingest({
        rollups: decodeRollups([lineRollup('line-1', '2026-11-02T00:00:00.000Z', 1, 1_000_000)]),
        deadLetters: [],
      });
      await expect(new PcfService(t.repo).calculateAndStore('a', NOV)).rejects.toMatchObject({
        code: 'ERR_SUPPLY_EXCEEDS',
        message: expect.stringContaining(
          'exceeds its consumption in 2026-11-01T00:00:00.000Z – 2026-12-01T00:00:00.000Z by 200000 kWh',
        ),
      });
    });
  },
);

describe('the supply kind: bad input names row, column and reason, and nothing is stored', () => {
  let t: TempDb;
  beforeAll(async () => {
    t = tempDb();
    for (const [kind, text] of Object.entries(CSV))
      await importReferenceFile(t.repo, kind as ReferenceKind, t.write(`${kind}.csv`, text));
  });
  afterAll(async () => {
    await t.cleanup();
  });
  const rejected = async (text: string) => {
    const before = await t.repo.latestReferenceVersion();
    const err = await importReferenceFile(t.repo, 'supply', t.write('bad.csv', text)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPcfError(err, 'ERR_REFERENCE_INVALID')).toBe(true);
    expect(await t.repo.latestReferenceVersion()).toBe(before);
    return (err as { details: { errors: unknown[] } }).details.errors;
  };

  it('an unknown source type (grid is the mapping, not a supply row)', async () => {
    expect(await rejected(SUPPLY_HEADER + 'x,plant-1,2026-11-01,2026-12-01,grid,,,,grid,\n')).toEqual([
      {
        row: 1,
        column: 'source',
        reason: 'must be equal to one of the allowed values (onsite, ppa, certificate, residual-mix)',
      },
    ]);
  });

  it('unknown factor, negative volume, shares above 100 %, a missing residual mix, volumes without validTo', async () => {
    const errors = await rejected(
      SUPPLY_HEADER +
        'x,plant-1,2026-11-01,2026-12-01,certificate,300,MWh,,nope,GO 1\n' +
        'x,plant-1,2026-11-01,2026-12-01,ppa,-5,MWh,,rec,PPA 7\n' +
        'x,plant-1,2026-11-01,2026-12-01,residual-mix,,,,residual,\n' +
        'y,plant-1,2027-01-01,2028-01-01,ppa,,,60,rec,PPA 8\n' +
        'y,plant-1,2027-01-01,2028-01-01,certificate,,,50.5,rec,GO 2\n' +
        'y,plant-1,2027-01-01,2028-01-01,residual-mix,,,,residual,\n' +
        'z,plant-1,2028-01-01,,onsite,5,kg,,rec,\n' +
        'z,plant-1,2028-02-01,,certificate,,,10,rec,\n',
    );
    expect(errors).toEqual([
      { row: 1, column: 'factorId', reason: "unknown factor 'nope'" },
      { row: 2, column: 'volume', reason: 'must not be negative (got -5)' },
      { row: 5, column: 'sharePercent', reason: "the shares of supply mix 'y' add up to 110.5 %, more than 100 %" },
      { row: 7, column: 'unit', reason: "'kg' is not an energy unit (kWh, MWh, GJ, …)" },
      {
        row: 7,
        column: 'validTo',
        reason: 'a volume is for a period: give the mix a validTo (or give sharePercent instead)',
      },
      {
        row: 7,
        column: 'source',
        reason: "supply mix 'z' needs exactly one residual-mix row, for the consumption no instrument covers (found 0)",
      },
      {
        row: 8,
        column: 'validFrom',
        reason: "supply mix 'z' has validFrom 2028-01-01 (row 7); every row of a mix repeats it",
      },
      {
        row: 8,
        column: 'instrument',
        reason: 'a certificate names its contract or certificates (registry, batch or contract id)',
      },
    ]);
  });

  it('two mixes of one site may not overlap', async () => {
    await importReferenceFile(t.repo, 'supply', t.write('ok.csv', SUPPLY_280));
    const errors = await rejected(
      SUPPLY_HEADER +
        'dec,plant-1,2026-11-15,2027-01-01,certificate,,,10,rec,GO 3\ndec,plant-1,2026-11-15,2027-01-01,residual-mix,,,,residual,\n',
    );
    expect(errors).toEqual([{ row: 1, column: 'validFrom', reason: "validity overlaps 'mix-nov' for plant-1" }]);
  });
});
