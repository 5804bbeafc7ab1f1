import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPcfError, type PcfError } from '@pcf-edge/core';
import { importReferenceFile } from '../src/reference/import';
import { DEMO_DIR, importDirectory } from '../src/service/demo';
import type { ReferenceKind } from '../src/reference/types';
import { tempDb, type TempDb } from './helpers';

async function rejection(t: TempDb, kind: ReferenceKind, name: string, text: string): Promise<PcfError> {
  const before = await t.repo.latestReferenceVersion();
  const err = await importReferenceFile(t.repo, kind, t.write(name, text)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPcfError(err, 'ERR_REFERENCE_INVALID')).toBe(true);
  expect(await t.repo.latestReferenceVersion()).toBe(before);
  return err as PcfError;
}
const errorsOf = (e: PcfError) => e.details.errors as { row: number | string; column: string; reason: string }[];

describe('reference import', () => {
  let t: TempDb;
  beforeEach(async () => {
    t = tempDb();
    await importDirectory(t.repo, DEMO_DIR);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('imports the demo dataset, one version per file, earlier versions still queryable', async () => {
    const versions = await t.repo.listReferenceVersions();
    expect(versions.map((v) => v.kind)).toEqual([
      'sites',
      'lines',
      'products',
      'factors',
      'supplier-pcfs',
      'boms',
      'electricity',
      'direct-emissions',
      'orders',
    ]);
    const v = await t.repo.latestReferenceVersion();
    await importReferenceFile(t.repo, 'sites', t.write('sites.csv', 'id,region,name\nplant-1,GB,Renamed\n'));
    expect((await t.repo.getReference('sites', v))[0]!.data).toMatchObject({ name: 'Demo factory' });
    expect((await t.repo.getReference('sites', v + 1))[0]!.data).toMatchObject({ name: 'Renamed' });
  });

  it('rejects missing columns', async () => {
    const e = await rejection(
      t,
      'orders',
      'o.csv',
      'id,line,product,start,end\nx,line-1,widget,2026-01-01T00:00:00Z,2026-01-01T01:00:00Z\n',
    );
    expect(errorsOf(e)).toEqual([
      { row: 'header', column: 'goodQuantity', reason: 'missing column' },
      { row: 'header', column: 'scrapQuantity', reason: 'missing column' },
    ]);
  });

  it('rejects wrong units, listing every bad row', async () => {
    const e = await rejection(
      t,
      'boms',
      'b.csv',
      'product,component,componentKind,quantity,unit\nwidget,housing,product,1,kg\nhousing,paint,material,1,furlong\n',
    );
    expect(errorsOf(e)).toEqual([
      { row: 1, column: 'unit', reason: "'kg' cannot be converted to housing's unit 'piece'" },
      {
        row: 2,
        column: 'unit',
        reason: expect.stringMatching(/^unknown unit 'furlong'; accepted .*volume: m3, l, ml, gal, gal_imp, bbl/),
      },
    ]);
    expect(e.message).toContain('row 2, column unit');
  });

  it('rejects negative quantities', async () => {
    const e = await rejection(
      t,
      'orders',
      'o.csv',
      'id,line,product,start,end,goodQuantity,scrapQuantity\nx,line-1,widget,2026-01-01T00:00:00Z,2026-01-01T01:00:00Z,-5,0\n',
    );
    expect(errorsOf(e)).toEqual([{ row: 1, column: 'goodQuantity', reason: 'must not be negative (got -5)' }]);
  });

  it('rejects unknown references', async () => {
    const e = await rejection(
      t,
      'orders',
      'o.csv',
      'id,line,product,start,end,goodQuantity,scrapQuantity\nx,line-9,gadget,2026-01-01T00:00:00Z,2026-01-01T01:00:00Z,5,0\n',
    );
    expect(errorsOf(e)).toEqual([
      { row: 1, column: 'line', reason: "unknown line 'line-9'" },
      { row: 1, column: 'product', reason: "unknown product 'gadget'" },
    ]);
  });

  it('rejects a BOM cycle, naming it', async () => {
    const e = await rejection(
      t,
      'boms',
      'b.csv',
      'product,component,componentKind,quantity,unit\nsteel-sheet,widget,product,1,piece\n',
    );
    expect(errorsOf(e)).toEqual([
      { row: 1, column: 'component', reason: 'BOM cycle steel-sheet → widget → housing → steel-sheet' },
    ]);
  });

  const factor = (id: string, from: string, to: string | null, basis = 'gross') => ({
    id,
    activity: 'natural-gas',
    region: 'GB',
    unit: 'kWh',
    energyBasis: basis,
    components: { CO2: '0.18' },
    source: 's',
    version: '1',
    validFrom: from,
    validTo: to,
  });

  it('rejects overlapping factor validity periods', async () => {
    const e = await rejection(t, 'factors', 'f.json', JSON.stringify([factor('g-2030', '2022-06-01', '2024-01-01')]));
    expect(errorsOf(e)).toEqual([
      {
        row: 1,
        column: 'validFrom',
        reason: "validity overlaps 'desnz-2023-natural-gas-gross-kwh' for natural-gas in GB",
      },
    ]);
  });

  it('rejects mixed CV bases', async () => {
    const e = await rejection(
      t,
      'factors',
      'f.json',
      JSON.stringify([factor('g-net', '2020-01-01', '2022-01-01', 'net')]),
    );
    expect(errorsOf(e)).toEqual([
      { row: 1, column: 'energyBasis', reason: 'mixed CV bases for natural-gas in GB: gross and net' },
    ]);
  });

  it('rejects invalid supplier PCF JSON', async () => {
    const good = JSON.parse(readFileSync(join(DEMO_DIR, 'supplier-pcfs.json'), 'utf8'))[0];
    const bad = { ...good, id: 'not-a-uuid', pcf: { ...good.pcf, pCfExcludingBiogenic: '-1' } };
    delete bad.companyName;
    const e = await rejection(t, 'supplier-pcfs', 'p.json', JSON.stringify([good, bad]));
    expect(errorsOf(e)).toEqual([
      { row: 2, column: 'companyName', reason: 'missing value' },
      { row: 2, column: 'id', reason: 'must match format "uuid"' },
      { row: 2, column: 'pcf.pCfExcludingBiogenic', reason: 'must match pattern "^\\d+(\\.\\d+)?$"' },
    ]);
    const syntax = await rejection(t, 'supplier-pcfs', 'q.json', '{ "id": ');
    expect(errorsOf(syntax)[0]).toMatchObject({ row: 'file' });
  });
});
