import { isPcfError, type PcfError } from '@pcf-edge/core';
import { Dec, type CalcOptions } from '@pcf-edge/pcf-engine';
import { verifyAudit } from '../src/audit/verify';
import { importReferenceFile } from '../src/reference/import';
import type { ReferenceKind } from '../src/reference/types';
import { PcfService } from '../src/service/pcf-service';
import { tempDb, type TempDb } from './helpers';

/**
 * The traps a new user met expressing published test cases in pcf-edge's formats (issue 22), one test each, on a
 * base that the code before the fixes accepted too: each test failed there for the trap it names (ADR 0240–0242).
 */
const BASE: [ReferenceKind, string][] = [
  ['sites', 'id,region\nplant,US\n'],
  ['lines', 'id,site\nline-1,plant\n'],
  [
    'factors',
    'id,activity,region,unit,energyBasis,source,version,validFrom,validTo,CO2\n' +
      'grid,electricity,US,kWh,,eGRID,1,2020-01-01,,0.5\n' +
      'diesel-l,diesel,US,l,,test,1,2020-01-01,,2.68787\n',
  ],
  ['products', 'id,declaredUnit,unitaryProductAmount,productIds\ngenset-run,kilowatt hour,1,urn:example:run\n'],
];

const options: CalcOptions = {
  periodStart: '2026-11-01T00:00:00Z',
  periodEnd: '2026-12-01T00:00:00Z',
  method: 'location',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
};

describe('issue 22 traps, one by one', () => {
  let t: TempDb;
  let n = 0;
  const put = (kind: ReferenceKind, text: string) =>
    importReferenceFile(t.repo, kind, t.write(`${kind}-${n++}.csv`, text));
  const latest = async (kind: ReferenceKind, id: string) =>
    (await t.repo.getReference(kind, await t.repo.latestReferenceVersion())).find((e) => e.entityId === id)!.data;
  beforeEach(async () => {
    t = tempDb();
    for (const [kind, text] of BASE) await put(kind, text);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('a factor per US gallon imports, stored as gal', async () => {
    await put(
      'factors',
      'id,activity,region,unit,energyBasis,source,version,validFrom,CO2\nd,diesel-gal,US,US gallon,,t,1,2020-01-01,10\n',
    );
    expect(await latest('factors', 'd')).toMatchObject({ unit: 'gal' });
  });

  it('12.5 US gallons against 2.68787 kg CO2 per litre: exactly 127.183684648251 kg CO2, audited', async () => {
    await put('boms', 'product,component,componentKind,quantity,unit\ngenset-run,diesel,material,12.5,gal\n');
    const { doc } = await new PcfService(t.repo).calculateAndStore('genset-run', options);
    expect(doc.pcfPerDeclaredUnit).toBe('127.183684648251');
    expect((await verifyAudit(t.repo)).ok).toBe(true);
  });

  it('the reverse (factor per gallon, line in litres) is exact, and agrees to 20+ digits where l → gal does not terminate', async () => {
    await put(
      'factors',
      'id,activity,region,unit,energyBasis,source,version,validFrom,CO2\nd-gal,diesel-per-gallon,US,gal,,t,1,2020-01-01,10.17469477186008\n',
    );
    await put(
      'products',
      'id,declaredUnit,unitaryProductAmount,productIds\nrun-l,kilowatt hour,1,urn:example:l\nrun-10,kilowatt hour,1,urn:example:10\n',
    );
    await put(
      'boms',
      'product,component,componentKind,quantity,unit\nrun-l,diesel-per-gallon,material,47.3176473,l\nrun-10,diesel-per-gallon,material,10,l\n',
    );
    const service = new PcfService(t.repo);
    expect((await service.calculateAndStore('run-l', options)).doc.pcfPerDeclaredUnit).toBe('127.183684648251');
    // 10 l at 10.17469477186008 kg/gal (= 2.68787 kg/l exactly) is exactly 26.8787 kg
    const got = new Dec((await service.calculateAndStore('run-10', options)).doc.pcfPerDeclaredUnit);
    expect(got.toSignificantDigits(20).toString()).toBe('26.8787');
    expect(got.minus('26.8787').abs().lt('1e-30')).toBe(true);
    expect((await verifyAudit(t.repo)).ok).toBe(true);
  });

  it('a location-based and a market-based factor of one region do not clash', async () => {
    await put(
      'factors',
      'id,activity,region,unit,energyBasis,source,version,validFrom,CO2\nresidual,electricity,US,kWh,,Green-e residual mix,1,2020-01-01,0.6\n',
    );
    expect(await latest('factors', 'residual')).toMatchObject({ region: 'US' });
  });

  it('an electricity mapping for location-only work needs no market factor or instrument', async () => {
    await put('electricity', 'id,site,validFrom,locationFactorId,provenance\nm,plant,2020-01-01,grid,eGRID\n');
    expect(await latest('electricity', 'm')).not.toHaveProperty('marketFactorId');
  });

  it('a material factor CSV needs no energyBasis column', async () => {
    await put(
      'factors',
      'id,activity,region,unit,source,version,validFrom,CO2\nsteel,steel,GLO,kg,t,1,2020-01-01,1.9\n',
    );
    expect(await latest('factors', 'steel')).toMatchObject({ energyBasis: null });
  });

  it('.5 is a number, stored as 0.5', async () => {
    await put(
      'factors',
      'id,activity,region,unit,energyBasis,source,version,validFrom,CO2\nalu,alu,GLO,kg,,t,1,2020-01-01,.5\n',
    );
    expect(await latest('factors', 'alu')).toMatchObject({ components: { CO2: '0.5' } });
  });

  it('a product takes the symbols BOM lines take, and a plain product code', async () => {
    await put('products', 'id,declaredUnit,unitaryProductAmount,productIds\nsteam,kWh,1,STEAM-01\n');
    expect(await latest('products', 'steam')).toMatchObject({
      declaredUnit: 'kWh',
      productIds: ['urn:pathfinder:product:customcode:vendor-assigned:STEAM-01'],
    });
  });

  it('a product not produced in the period shows its per-unit breakdown beside its PCF, not zeros', async () => {
    await put('boms', 'product,component,componentKind,quantity,unit\ngenset-run,diesel,material,2,l\n');
    const { doc } = await new PcfService(t.repo).calculateProduct('genset-run', options);
    expect(doc.produced).toBe(false);
    expect(doc.pcfPerDeclaredUnit).toBe('5.37574');
    expect(doc.breakdownKg.materials).toBe('0'); // nothing was made: the period's output is 0 kg
    expect(doc.breakdownKgPerDeclaredUnit).toMatchObject({ materials: '5.37574', direct: '0', gas: '0' });
  });
});

describe('reference import errors a new user can act on', () => {
  let t: TempDb;
  beforeEach(async () => {
    t = tempDb();
    for (const [kind, text] of BASE) await importReferenceFile(t.repo, kind, t.write(`${kind}.csv`, text));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const rejection = async (kind: ReferenceKind, text: string): Promise<PcfError> => {
    const before = await t.repo.latestReferenceVersion();
    const err = await importReferenceFile(t.repo, kind, t.write(`${kind}-bad.csv`, text)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPcfError(err, 'ERR_REFERENCE_INVALID')).toBe(true);
    expect(await t.repo.latestReferenceVersion()).toBe(before);
    return err as PcfError;
  };

  it('a bad number is said in words, not as a regular expression', async () => {
    const e = await rejection(
      'factors',
      'id,activity,region,unit,energyBasis,source,version,validFrom,CO2\nx,steel,US,kg,,s,1,2020-01-01,"1,5"\n',
    );
    expect(e.details.errors).toEqual([
      {
        row: 1,
        column: 'CO2', // the CSV's column (the stored item's components.CO2)
        reason: 'not a decimal number: "1,5" (a decimal number, e.g. 12, 0.5, .5, -3 or 1.2e3)',
      },
    ]);
    expect(e.message).not.toMatch(/\^|\\d/);
  });

  it('an unknown unit lists the accepted ones; an ambiguous one says what to write', async () => {
    const e = await rejection(
      'factors',
      'id,activity,region,unit,energyBasis,source,version,validFrom,CO2\nx,steel,US,ton,,s,1,2020-01-01,1\ny,oil,US,gallon (US),,s,1,2020-01-01,1\n',
    );
    const errors = e.details.errors as { row: number; column: string; reason: string }[];
    expect(errors[0]).toEqual({
      row: 1,
      column: 'unit',
      reason: "ambiguous unit 'ton': write t (tonne, 1000 kg), 'short ton' (2000 lb) or 'long ton' (2240 lb)",
    });
    expect(errors[1]!.reason).toMatch(/^unknown unit 'gallon \(US\)'; accepted .*volume: m3, l, ml, gal, gal_imp/);
  });

  it('a product declared in a unit PACT has no name for is refused, naming the ones it may use', async () => {
    const e = await rejection('products', 'id,declaredUnit,unitaryProductAmount,productIds\np,gal,1,P-1\n');
    expect(e.details.errors).toEqual([
      {
        row: 1,
        column: 'declaredUnit',
        reason:
          "'gal' is not a PACT declared unit; a product is declared in one of kg (kilogram), m3 (cubic meter), l (liter), MJ (megajoule), kWh (kilowatt hour), tkm (ton kilometer), m2 (square meter), piece",
      },
    ]);
  });

  it('a market factor without its instrument names the missing column and why', async () => {
    const e = await rejection(
      'electricity',
      'id,site,validFrom,locationFactorId,marketFactorId,provenance\nm,plant,2020-01-01,grid,grid,p\n',
    );
    expect(e.details.errors).toEqual([
      { row: 1, column: 'marketInstrument', reason: 'missing value (needed with marketFactorId)' },
    ]);
  });
});
