import { silentLogger } from '@pcf-edge/core';
import { Dec, present } from '@pcf-edge/pcf-engine';
import { runCli } from '../src/cli/run';
import { verifyAudit } from '../src/audit/verify';
import { decodeRollups } from '../src/ingest/quantities';
import { apiConfig } from '../src/api/config';
import { createFootprintPublisher } from '../src/pact/publish';
import { EVENT_TYPE, publishedAnnouncer } from '../src/pact/published-events';
import { openSecurityStore } from '../src/store/security-store';
import type { ProductFootprint } from '../src/pact/types';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import { findStaleResults } from '../src/service/stale';
import { cliStores, type CliStore } from './pg-support';
import { DEMO_MORNING, loadDemo } from './helpers';

/**
 * The scenario of issue 18, on SQLite and PostgreSQL, through the CLI: compute and store a PCF, publish it, ingest
 * revision 2 of one of its windows ⇒ `audit verify` passes, the result is listed stale with its difference,
 * `recompute --stale` publishes a new footprint with `precedingPfIds` (the old one Deprecated, still readable) and
 * records a Published event, and both results verify. A change below the threshold republishes nothing.
 */
const options = DEMO_MORNING;

const stores = cliStores('late data');

describe.each(stores)('late data (%s)', (_name, open) => {
  let s: CliStore;
  beforeEach(async () => {
    s = await open();
    await loadDemo(s.repo);
  });
  afterEach(async () => {
    await s.dispose();
  });
  const cli = async (...args: string[]) => {
    const out: string[] = [],
      err: string[] = [];
    const code = await runCli([...args, ...s.args], {
      out: (x) => out.push(x),
      err: (x) => err.push(x),
      log: silentLogger(),
      onSignal: () => undefined,
      env: s.env,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const line2 = () => demoRollups().find((r) => r.type === 'line' && r.line === 'line-2')!;

  it('revision 2 of a used window: verify passes, stale with its difference, republished, both verify', async () => {
    // a partner granted the widget, with an events endpoint; another one granted nothing
    const security = openSecurityStore(s.repo);
    const events = { baseUrl: 'https://acme.example', authClientId: 'us', authSecretRef: 'env:ACME_SECRET' };
    await security.upsertClient({ clientId: 'acme', secretHash: 'x', scopes: ['pact'], events });
    await security.upsertClient({ clientId: 'other', secretHash: 'x', scopes: ['pact'], events });
    await security.addGrant({ clientId: 'acme', kind: 'product', value: 'widget' });
    const pcf = new PcfService(s.repo);
    const widget = (await pcf.calculateAndStore('widget', options)).audit.resultId;
    const steel = (await pcf.calculateAndStore('steel-sheet', options)).audit.resultId;
    const publisher = createFootprintPublisher({
      repo: s.repo,
      company: apiConfig({ clients: [] }).pact,
      log: silentLogger(),
      announce: publishedAnnouncer(s.repo, { baseUrl: 'https://pcf.example' }),
    });
    const first = (await publisher.sync()).published.find((f) => f.resultId === widget)!;
    expect(first).toMatchObject({ version: 1, status: 'Active' });

    const w = line2();
    await s.repo.ingest({
      rollups: decodeRollups([{ ...w, revision: 2, electricityKWh: w.electricityKWh + 8 }]),
      deadLetters: [],
    });
    expect(await cli('audit', 'verify')).toMatchObject({ code: 0, out: expect.stringMatching(/2 records, 0 failed$/) });

    const stale = await findStaleResults(s.repo);
    expect(stale.map((x) => x.resultId)).toEqual([widget]); // steel-sheet did not read line-2
    expect(stale[0]).toMatchObject({ revised: [`${w.id}@1→2`], added: [], deltaKWh: '8' });
    const listed = await cli('results', '--stale');
    expect(listed.out).toContain(`${widget}  widget`);
    expect(listed.out).toMatch(/energy \+8 kWh/);
    expect(new Dec(stale[0]!.deltaKgPerDeclaredUnit).isPositive()).toBe(true);
    expect(listed.out).toContain(`(+${present(new Dec(stale[0]!.deltaKgPerDeclaredUnit), 6)} kgCO2e/piece,`);
    expect(listed.out).toMatch(/1 stale results$/);
    expect(JSON.parse((await cli('results', '--stale', '--json')).out)).toMatchObject([
      { resultId: widget, deltaKWh: '8', revised: [`${w.id}@1→2`] },
    ]);

    const re = await cli('recompute', '--stale');
    expect(re).toMatchObject({ code: 0 });
    expect(re.out).toMatch(/1 stale results: 1 republished, 0 current again; 1 Published events queued$/);
    const versions = await s.repo.listFootprintVersions();
    const old = await s.repo.getFootprint(first.id);
    expect(old).toMatchObject({ version: 2, status: 'Deprecated' });
    expect((old!.doc as ProductFootprint).statusComment).toMatch(/recomputed after late telemetry/);
    const next = versions.find((v) => v.productId === 'widget' && v.id !== first.id)!;
    expect(next).toMatchObject({ version: 1, status: 'Active' });
    expect((next.doc as ProductFootprint).precedingPfIds).toEqual([first.id]);
    // the version 1 of the old footprint is still readable as it was served
    expect(versions.find((v) => v.id === first.id && v.version === 1)!.doc).toEqual(first.doc);
    // one queue: the first publication's event and the republication's, to the partner granted the widget only
    const queued = await security.listDeliveries();
    expect(queued).toMatchObject([
      { clientId: 'acme', type: EVENT_TYPE[2].published, url: 'https://acme.example/2/events', status: 'pending' },
      { clientId: 'acme', type: EVENT_TYPE[2].published, url: 'https://acme.example/2/events', status: 'pending' },
    ]);
    expect(JSON.parse(queued[0]!.body)).toMatchObject({ data: { pfIds: [first.id] } });
    expect(JSON.parse(queued[1]!.body)).toMatchObject({
      specversion: '1.0',
      source: '', // the CLI's default config names no public base URL
      data: { pfIds: [first.id, next.id] },
    });

    const report = await verifyAudit(s.repo);
    expect(report.records.map((r) => r.problems)).toEqual([[], [], []]);
    expect(report.records.map((r) => r.resultId)).toEqual([widget, steel, next.resultId]);
    expect(await findStaleResults(s.repo)).toEqual([]);
    expect((await cli('audit', 'show', next.resultId)).code).toBe(0);
  });

  it('a change below the threshold keeps the result current with a note, and publishes nothing', async () => {
    const widget = (await new PcfService(s.repo).calculateAndStore('widget', options)).audit.resultId;
    const w = line2();
    await s.repo.ingest({
      rollups: decodeRollups([{ ...w, revision: 2, electricityKWh: w.electricityKWh + 0.001 }]),
      deadLetters: [],
    });
    expect(await findStaleResults(s.repo)).toHaveLength(1);
    const re = await cli('recompute', '--stale', '--threshold-percent', '0.1');
    expect(re.out).toMatch(/current again: 1 revised and 0 new windows; PCF .* below the republish threshold of 0.1 %/);
    expect(re.out).toMatch(/0 republished, 1 current again; 0 Published events queued$/);
    expect(await s.repo.listRecomputations()).toMatchObject([{ resultId: widget, successorId: null }]);
    expect(await findStaleResults(s.repo)).toEqual([]);
    expect((await s.repo.listAuditRecords()).length).toBe(1);
    // a later revision makes it stale again
    await s.repo.ingest({
      rollups: decodeRollups([{ ...w, revision: 3, electricityKWh: w.electricityKWh + 0.002 }]),
      deadLetters: [],
    });
    expect((await findStaleResults(s.repo)).map((x) => x.revised)).toEqual([[`${w.id}@1→3`]]);
  });

  it('refuses a bad threshold and a missing --stale with usage errors', async () => {
    expect(await cli('recompute')).toMatchObject({
      code: 2,
      err: 'error ERR_USAGE: recompute: --stale or --period <YYYY-MM> is required (see --help)',
    });
    expect(await cli('recompute', '--stale', '--threshold-percent=-1')).toMatchObject({
      code: 2,
      err: "error ERR_USAGE: recompute: --threshold-percent '-1' must be a number ≥ 0",
    });
    expect(await cli('recompute', '--stale', '--threshold-percent', 'lots')).toMatchObject({
      code: 2,
      err: "error ERR_USAGE: recompute: --threshold-percent 'lots' is not a number",
    });
    expect(await cli('results', '--json')).toMatchObject({
      code: 2,
      err: 'error ERR_USAGE: results: --json lists stale results only: add --stale',
    });
    for (const c of ['results', 'recompute']) expect((await cli(c, '--help')).out).toMatch(/--stale/);
  });
});
