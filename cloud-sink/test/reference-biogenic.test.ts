import { isPcfError, type PcfError } from '@pcf-edge/core';
import { importReferenceFile } from '../src/reference/import';
import type { ReferenceKind } from '../src/reference/types';
import { tempDb, type TempDb } from './helpers';

/** The biogenic columns of factors (ADR 0247): what imports, and every way of getting them wrong. */
const HEADER =
  'id,activity,region,unit,source,version,validFrom,CO2e,biogenic,biogenicCarbonContent,biogenicCO2Emissions,biogenicCO2Removals\n';

describe('factor biogenic columns', () => {
  let t: TempDb;
  let n = 0;
  const put = (kind: ReferenceKind, text: string, ext = 'csv') =>
    importReferenceFile(t.repo, kind, t.write(`${kind}-${n++}.${ext}`, text));
  const latest = async (kind: ReferenceKind, id: string) =>
    (await t.repo.getReference(kind, await t.repo.latestReferenceVersion())).find((e) => e.entityId === id)?.data;
  async function rejected(kind: ReferenceKind, text: string, ext = 'csv') {
    const before = await t.repo.latestReferenceVersion();
    const err = await put(kind, text, ext).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPcfError(err, 'ERR_REFERENCE_INVALID')).toBe(true);
    expect(await t.repo.latestReferenceVersion()).toBe(before); // nothing stored
    return (err as PcfError).details.errors;
  }
  beforeEach(async () => {
    t = tempDb();
    await put('sites', 'id,region\nplant,GB\n');
    await put('products', 'id,declaredUnit,unitaryProductAmount,productIds\nbox,piece,1,BOX-1\n');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('imports content, emissions and removals as exact decimals, and the flag in any case', async () => {
    await put(
      'factors',
      HEADER +
        'cb,cardboard,GLO,tonne,illustrative,1,2024-01-01,800,TRUE,410,95,1.5033e3\n' +
        'paper,paper,GLO,kg,illustrative,1,2024-01-01,1.1,true,,,\n' +
        'wood,wood,GLO,kg,illustrative,1,2024-01-01,0.3,,.5,,\n' +
        'steel,steel,GLO,kg,illustrative,1,2024-01-01,1.9,false,,,\n',
    );
    expect(await latest('factors', 'cb')).toMatchObject({
      unit: 't',
      biogenic: true,
      biogenicCarbonContent: '410',
      biogenicCO2Emissions: '95',
      biogenicCO2Removals: '1503.3',
    });
    expect(await latest('factors', 'paper')).toMatchObject({ biogenic: true });
    expect(await latest('factors', 'paper')).not.toHaveProperty('biogenicCarbonContent');
    expect(await latest('factors', 'wood')).toMatchObject({ biogenicCarbonContent: '0.5' });
    expect(await latest('factors', 'wood')).not.toHaveProperty('biogenic');
    expect(await latest('factors', 'steel')).toMatchObject({ biogenic: false });
    await put(
      'factors',
      JSON.stringify([
        {
          id: 'straw',
          activity: 'straw',
          region: 'GLO',
          unit: 'kg',
          components: { CO2e: '0.1' },
          source: 's',
          version: '1',
          validFrom: '2024-01-01',
          biogenicCarbonContent: 0.42,
        },
      ]),
      'json',
    );
    expect(await latest('factors', 'straw')).toMatchObject({ biogenicCarbonContent: 0.42 });
  });

  it('refuses negative amounts, biogenic energy and a contradicting flag, naming row and column', async () => {
    const errors = await rejected(
      'factors',
      HEADER +
        'cb,cardboard,GLO,t,s,1,2024-01-01,800,true,-410,,\n' +
        'wood,wood,GLO,kg,s,1,2024-01-01,0.3,,0.5,0.1,-1.8\n' +
        'grid,electricity,GB,kWh,s,1,2024-01-01,0.2,,0.01,,\n' +
        'steel,steel,GLO,kg,s,1,2024-01-01,1.9,false,0.3,,\n',
    );
    expect(errors).toEqual([
      { row: 1, column: 'biogenicCarbonContent', reason: 'must not be negative (got -410)' },
      {
        row: 2,
        column: 'biogenicCO2Removals',
        reason: 'must not be negative (got -1.8): a removal is the positive mass of CO2 taken up',
      },
      {
        row: 3,
        column: 'biogenicCarbonContent',
        reason: 'biogenic carbon is given for materials (BOM activities), not for electricity',
      },
      {
        row: 4,
        column: 'biogenic',
        reason: 'is false, but the factor gives biogenic carbon (biogenicCarbonContent): leave it empty or true',
      },
    ]);
  });

  it('refuses a flag that is not true or false, and a content that is not a decimal', async () => {
    const errors = await rejected('factors', HEADER + 'cb,cardboard,GLO,t,s,1,2024-01-01,800,yes,"0,41",,\n');
    expect(errors).toEqual([
      { row: 1, column: 'biogenic', reason: 'must be boolean' },
      {
        row: 1,
        column: 'biogenicCarbonContent',
        reason: 'not a decimal number: "0,41" (a decimal number, e.g. 12, 0.5, .5, -3 or 1.2e3)',
      },
    ]);
  });

  it('refuses a BOM line for a biogenic material in a unit its factor cannot take', async () => {
    await put('factors', HEADER + 'cb,cardboard,GLO,t,s,1,2024-01-01,800,true,410,,\n');
    const errors = await rejected(
      'boms',
      'product,component,componentKind,quantity,unit\nbox,cardboard,material,0.4,kWh\n',
    );
    expect(errors).toEqual([{ row: 1, column: 'unit', reason: "'kWh' cannot be converted to cardboard's unit 't'" }]);
  });
});
