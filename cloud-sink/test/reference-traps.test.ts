import { isPcfError, type PcfError } from '@pcf-edge/core';
import { Dec, type CalcOptions } from '@pcf-edge/pcf-engine';
import { verifyAudit } from '../src/audit/verify';
import { importReferenceFile } from '../src/reference/import';
import type { Product, ReferenceKind } from '../src/reference/types';
import { PcfService } from '../src/service/pcf-service';
import { tempDb, type TempDb } from './helpers';

/**
 * The traps a new user met expressing published test cases in pcf-edge's formats (issue 22), each as it was met:
 * every test here failed before the unit catalogue and the import fixes (ADR 0240–0242).
 */
const files: [ReferenceKind, string, string][] = [
  ['sites', 'sites.csv', 'id,region\nplant,US\n'],
  ['lines', 'lines.csv', 'id,site\nline-1,plant\n'],
  // no energyBasis column; `.5`; a location and a market (residual-mix) factor for one region at once; per US gallon
  [
    'factors',
    'factors.csv',
    [
      'id,activity,region,unit,source,version,validFrom,validTo,CO2',
      'diesel-l,diesel,US,l,test,1,2020-01-01,,2.68787',
      'diesel-gal,diesel-per-gallon,US,gal,test,1,2020-01-01,,10.17469477186008',
      'grid,electricity,US,kWh,eGRID,1,2020-01-01,,.5',
      'residual,electricity,US,kWh,Green-e residual mix,1,2020-01-01,,0.6',
    ].join('\n'),
  ],
  // symbols and plain product codes, as BOM lines accept them
  [
    'products',
    'products.csv',
    [
      'id,declaredUnit,unitaryProductAmount,productIds',
      'genset-run,kilowatt hour,1,RUN-1',
      'genset-run-l,kWh,.5,urn:pathfinder:product:customcode:vendor-assigned:RUN-2',
      'mixed,kg,1,MIX 3',
    ].join('\n'),
  ],
  [
    'boms',
    'boms.csv',
    [
      'product,component,componentKind,quantity,unit',
      'genset-run,diesel,material,12.5,US gallon',
      'genset-run-l,diesel-per-gallon,material,47.3176473,litre',
      'mixed,diesel-per-gallon,material,10,l',
    ].join('\n'),
  ],
  // location-based work only: no market factor, no instrument
  [
    'electricity',
    'electricity.csv',
    'id,site,validFrom,locationFactorId,provenance\nm,plant,2020-01-01,grid,eGRID 2024\n',
  ],
];

const options: CalcOptions = {
  periodStart: '2026-11-01T00:00:00Z',
  periodEnd: '2026-12-01T00:00:00Z',
  method: 'location',
  gwpSet: 'AR6',
  shareKey: 'units',
  overheadKey: 'units',
};

describe('reference data as a new user writes it (issue 22 traps)', () => {
  let t: TempDb;
  beforeEach(async () => {
    t = tempDb();
    for (const [kind, name, text] of files) await importReferenceFile(t.repo, kind, t.write(name, text));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('stores one canonical form: unit symbols, plain decimals, vendor-assigned URNs, null CV basis', async () => {
    const v = await t.repo.latestReferenceVersion();
    const products = new Map((await t.repo.getReference('products', v)).map((e) => [e.entityId, e.data as Product]));
    expect(products.get('genset-run')).toMatchObject({
      declaredUnit: 'kWh',
      productIds: ['urn:pathfinder:product:customcode:vendor-assigned:RUN-1'],
    });
    expect(products.get('genset-run-l')).toMatchObject({ declaredUnit: 'kWh', unitaryProductAmount: '0.5' });
    expect(products.get('mixed')!.productIds).toEqual(['urn:pathfinder:product:customcode:vendor-assigned:MIX%203']);
    const factors = new Map((await t.repo.getReference('factors', v)).map((e) => [e.entityId, e.data]));
    expect(factors.get('grid')).toMatchObject({ unit: 'kWh', energyBasis: null, components: { CO2: '0.5' } });
    expect(factors.get('diesel-gal')).toMatchObject({ unit: 'gal' });
    const boms = new Map((await t.repo.getReference('boms', v)).map((e) => [e.entityId, e.data]));
    expect(boms.get('genset-run')).toMatchObject({ lines: [{ unit: 'gal', quantity: '12.5' }] });
  });

  it('12.5 US gallons against 2.68787 kg CO2 per litre: exactly 127.183684648251 kg CO2, audited', async () => {
    const service = new PcfService(t.repo);
    const { doc } = await service.calculateAndStore('genset-run', options);
    expect(doc.pcfPerDeclaredUnit).toBe('127.183684648251');
    // the reverse: the factor per gallon, the line in litres
    const reverse = (await service.calculateAndStore('genset-run-l', options)).doc;
    expect(reverse.pcfPerDeclaredUnit).toBe('127.183684648251');
    expect((await verifyAudit(t.repo)).ok).toBe(true);
  });

  it('the reverse where litres to gallons does not terminate agrees to at least 20 significant digits', async () => {
    // 10 l at 10.17469477186008 kg/gal (= 2.68787 kg/l exactly) is exactly 26.8787 kg
    const { doc } = await new PcfService(t.repo).calculateAndStore('mixed', options);
    const got = new Dec(doc.pcfPerDeclaredUnit);
    expect(got.toSignificantDigits(20).toString()).toBe('26.8787');
    expect(got.minus('26.8787').abs().lt('1e-30')).toBe(true);
  });

  it('a product not produced in the period shows its per-unit breakdown beside its PCF, not zeros', async () => {
    const { doc } = await new PcfService(t.repo).calculateProduct('genset-run', options);
    expect(doc.produced).toBe(false);
    expect(doc.breakdownKg.materials).toBe('0'); // nothing was made: the period's output is 0 kg
    expect(doc.breakdownKgPerDeclaredUnit).toMatchObject({ materials: '127.183684648251', direct: '0', gas: '0' });
  });
});

describe('reference import errors a new user can act on', () => {
  let t: TempDb;
  beforeEach(async () => {
    t = tempDb();
    for (const [kind, name, text] of files.slice(0, 3)) await importReferenceFile(t.repo, kind, t.write(name, text));
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const rejection = async (kind: ReferenceKind, text: string): Promise<PcfError> => {
    const before = await t.repo.latestReferenceVersion();
    const err = await importReferenceFile(t.repo, kind, t.write(`${kind}.csv`, text)).then(
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
      'id,activity,region,unit,source,version,validFrom,CO2\nx,steel,US,kg,s,1,2020-01-01,\"1,5\"\n',
    );
    expect(e.details.errors).toEqual([
      {
        row: 1,
        column: 'components.CO2',
        reason: 'not a decimal number: "1,5" (a decimal number, e.g. 12, 0.5, .5, -3 or 1.2e3)',
      },
    ]);
    expect(e.message).not.toMatch(/\^|\\d/);
  });

  it('an unknown unit lists the accepted ones; an ambiguous one says what to write', async () => {
    const e = await rejection(
      'factors',
      'id,activity,region,unit,source,version,validFrom,CO2\nx,steel,US,ton,s,1,2020-01-01,1\ny,oil,US,gallon (US),s,1,2020-01-01,1\n',
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

  it('a market factor without its instrument names the missing column', async () => {
    const e = await rejection(
      'electricity',
      'id,site,validFrom,locationFactorId,marketFactorId,provenance\nm,plant,2020-01-01,grid,residual,p\n',
    );
    expect(e.details.errors).toEqual([
      { row: 1, column: 'marketInstrument', reason: 'missing value (needed with marketFactorId)' },
    ]);
  });
});
