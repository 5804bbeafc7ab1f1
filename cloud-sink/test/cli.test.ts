import { silentLogger } from '@pcf-edge/core';
import { runCli } from '../src/cli/run';
import { tempDb, type TempDb } from './helpers';

describe('cloud-sink CLI', () => {
  let t: TempDb;
  beforeAll(() => {
    t = tempDb();
  });
  afterAll(async () => {
    await t.cleanup();
  });
  const cli = async (...args: string[]) => {
    const out: string[] = [],
      err: string[] = [];
    const code = await runCli([...args, ...(args.includes('--help') ? [] : ['--db', t.file])], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      log: silentLogger(),
      onSignal: () => undefined,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints help for every command and rejects unknown commands and options with exit 2', async () => {
    for (const c of ['import', 'import-demo', 'pcf', 'results', 'recompute', 'replay', 'audit', 'consume', 'migrate'])
      expect((await cli(c, '--help')).out).toMatch(/^usage: npm run cloud-sink -- /);
    expect((await cli('frobnicate')).code).toBe(2);
    expect(await cli('pcf', '--bogus')).toMatchObject({
      code: 2,
      err: expect.stringContaining("error ERR_USAGE: pcf: Unknown option '--bogus'"),
    });
    expect(await cli('pcf', '--product', 'x', '--from', 'yesterday', '--to', '2026-01-01')).toMatchObject({
      code: 2,
      err: "error ERR_USAGE: pcf: --from 'yesterday' is not a date or ISO-8601 date-time",
    });
  });

  it('imports, computes, lists, verifies and shows', async () => {
    expect((await cli('import-demo')).code).toBe(0);
    const csv = t.write(
      'factors.csv',
      'id,activity,region,unit,energyBasis,source,version,validFrom,validTo,CO2,CH4,N2O\nsif,natural-gas,US,mmBtu,gross,SIF,1,2020-01-01,,51.9,0.002,0.0003\n',
    );
    expect(await cli('import', 'factors', csv)).toMatchObject({
      code: 0,
      out: 'imported 1 factors from ' + csv + ' as reference version 10',
    });
    const pcf = await cli(
      'pcf',
      '--product',
      'widget',
      '--from',
      '2026-11-02T06:00:00Z',
      '--to',
      '2026-11-02T10:00:00Z',
      '--gwp',
      'AR5',
      '--overhead-key',
      'mass',
    );
    expect(pcf.code).toBe(0);
    expect(pcf.out).toMatch(
      /^PCF widget: \d+\.\d{6} kgCO2e per piece {2}\(location-based electricity, AR5\) {2}result [0-9a-f-]{36}/,
    );
    expect(pcf.out).toContain('line-2: 128 = 128 + 0 + 0 (residual 0)');
    const id = /result ([0-9a-f-]{36})/.exec(pcf.out)![1]!;
    expect((await cli('results')).out).toContain(id);
    expect(await cli('audit', 'verify')).toMatchObject({
      code: 0,
      out: expect.stringContaining('1 records, 0 failed'),
    });
    expect((await cli('audit', 'show', id)).out).toContain('PCF widget per piece');
    expect(await cli('audit', 'show', 'nope')).toMatchObject({
      code: 1,
      err: "error ERR_NOT_FOUND: no audit record for result 'nope'",
    });
  });

  it('exits 1 with every bad row listed when an import is rejected', async () => {
    const bad = t.write(
      'o.csv',
      'id,line,product,start,end,goodQuantity,scrapQuantity\na,line-1,widget,2026-01-01T00:00:00Z,2026-01-01T01:00:00Z,-1,0\nb,line-7,widget,2026-01-01T00:00:00Z,2026-01-01T01:00:00Z,1,0\n',
    );
    const r = await cli('import', 'orders', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('row 1, column goodQuantity: must not be negative (got -1)');
    expect(r.err).toContain("row 2, column line: unknown line 'line-7'");
  });
});
