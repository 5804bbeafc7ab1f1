/**
 * The sustainability expert's day in the dashboard (issue 22), in headless Debian Chromium (never a downloaded
 * browser): a person signs in through the local OpenID Connect issuer (authorization code + PKCE, as
 * dashboard-people.test.ts), previews a factor file with one bad row (the error names row and column), fixes and
 * applies it, picks a month, calculates a product, reads its audit tree, publishes it to PACT, grants it to a partner
 * and finds it in that partner's PACT list (GET /2/footprints with the partner's token); then sees a result marked
 * stale after late data, exports results and line energy as CSV, and revokes the grant.
 *
 * Screenshots of every step are kept as test artefacts in `.pcf-edge/artefacts/expert-day/<store>/` at the
 * repository root (git-ignored, rewritten by each run). SQLite always; PostgreSQL too with
 * PCF_EDGE_TEST_DATABASE_URL.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { decodeRollups } from '../src/ingest/quantities';
import { demoRollups } from '../src/service/demo-rollups';
import { PARTNER, startApi, UPLOADER, type RunningApi } from './api-helpers';
import { startTestIssuer, type TestIssuer } from './oidc-issuer';
import { PG_URL } from './pg-support';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const ARTEFACTS = resolve(__dirname, '../../.pcf-edge/artefacts/expert-day');

const HEADER = 'id,activity,region,unit,energyBasis,source,version,validFrom,validTo,CO2,CH4,N2O,CO2e';
const PAINT = 'demo-paint,paint,GLO,kg,,"Revised paint factor, 2024",demo-2,2023-01-01,,,,,3.4';
const SOLVENT = (co2: string) => `demo-solvent,solvent,GLO,l,,Illustrative solvent factor,demo-1,2023-01-01,,${co2},,,`;

const stores: [string, string | undefined][] = [['sqlite', undefined]];
if (PG_URL) stores.push(['postgres', PG_URL]);
const suite = existsSync(CHROMIUM) ? describe.each(stores) : describe.skip.each(stores);

suite("the sustainability expert's day in the dashboard (%s)", (store, pgUrl) => {
  let issuer: TestIssuer;
  let api: RunningApi;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const errors: string[] = [];
  /** Every API answer ≥ 400 the page received: only the refused bad file is expected. */
  const refused: string[] = [];
  const files = mkdtempSync(join(tmpdir(), 'pcf-edge-expert-'));
  const shots = join(ARTEFACTS, store);
  let step = 0;
  /** A numbered screenshot of the whole page, or of the section the step is about. */
  const shot = async (name: string, section?: string) => {
    step += 1;
    const path = join(shots, `${String(step).padStart(2, '0')}-${name}.png`);
    if (section) await page.locator(section).screenshot({ path });
    else await page.screenshot({ path, fullPage: true });
  };
  const write = (name: string, text: string) => {
    writeFileSync(join(files, name), text);
    return join(files, name);
  };
  const text = (selector: string) => page.locator(selector).innerText();
  const partnerIds = async () => {
    const res = await fetch(`${api.url}/2/footprints`, {
      headers: { authorization: `Bearer ${await api.token(PARTNER)}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { id: string }[] }).data.map((f) => f.id);
  };

  beforeAll(async () => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    issuer = await startTestIssuer({
      people: [{ username: 'erin', groups: ['ops:read', 'ops:write', 'admin'] }],
      redirectUris: () => [`${api.url}/`],
    });
    api = await startApi({
      ...(pgUrl ? { pgUrl } : {}),
      config: { oidc: { issuer: issuer.url, audience: issuer.clientId, groupsClaim: 'cognito:groups' } },
    });
    profile = mkdtempSync(join(tmpdir(), 'pcf-edge-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1200 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400 && r.url().startsWith(api.url))
        refused.push(`${r.status()} ${r.request().method()} ${r.url().slice(api.url.length)}`);
    });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    for (const dir of [profile, files]) if (dir) rmSync(dir, { recursive: true, force: true });
    await api?.close();
    await issuer?.close();
  });

  it('signs in as a person through the issuer', async () => {
    await page.goto(`${api.url}/`);
    await page.click('#oidc-signin');
    await page.waitForURL(`${issuer.url}/oauth2/authorize**`);
    await page.fill('#username', 'erin');
    await page.click('#sign-in');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    expect(await text('#status')).toContain('signed in as erin');
    expect(await page.inputValue('#month')).toBe('2026-11'); // the month of the latest order
    await shot('signed-in');
  }, 60_000);

  it('previews a factor file with one bad row: the error shows row and column; applying it is refused', async () => {
    const before = await api.db.repo.latestReferenceVersion();
    await page.selectOption('#upload-kind', 'factors');
    await page.setInputFiles('#upload-file', write('factors.csv', [HEADER, PAINT, SOLVENT('"2,1"')].join('\n')));
    await page.click('#upload-preview');
    await page.waitForSelector('#upload-errors:not([hidden])');
    expect(await text('#preview-summary')).toContain('1 error(s): nothing can be applied');
    const cells = await page.locator('#upload-errors tbody tr').first().locator('td').allInnerTexts();
    expect(cells).toEqual([
      '2',
      'CO2',
      'not a decimal number: "2,1" (a decimal number, e.g. 12, 0.5, .5, -3 or 1.2e3)',
    ]);
    await shot('preview-bad-row', '#reference');

    await page.click('#upload button[type=submit]');
    await page.waitForSelector('#upload-error:not([hidden])');
    expect(await text('#upload-error')).toContain('400 ERR_REFERENCE_INVALID');
    expect(await page.locator('#upload-errors tbody tr').first().locator('td').allInnerTexts()).toEqual(cells);
    expect(await api.db.repo.latestReferenceVersion()).toBe(before);
    await shot('apply-refused', '#reference');
  }, 60_000);

  it('fixes the row, previews what changes and applies it', async () => {
    await page.setInputFiles('#upload-file', write('factors.csv', [HEADER, PAINT, SOLVENT('2.1')].join('\n')));
    await page.click('#upload-preview');
    await page.locator('#preview-summary', { hasText: 'The file is valid' }).waitFor();
    expect(await text('#preview-summary')).toMatch(/1 added, 1 changed, 0 unchanged, 5 kept/);
    expect(await page.locator('#upload-errors').isHidden()).toBe(true);
    const changed = page.locator('#preview-changes tr.changed');
    expect(await changed.locator('td').nth(1).innerText()).toBe('demo-paint');
    expect(await changed.locator('td').nth(3).innerText()).toContain('components: {"CO2e":"3.2"} → {"CO2e":"3.4"}');
    expect(await page.locator('#preview-changes tr.added td').nth(1).innerText()).toBe('demo-solvent');
    await shot('preview-valid', '#reference');

    await page.click('#upload button[type=submit]');
    await page.locator('#upload-result', { hasText: 'stored as reference version' }).waitFor();
    const version = await api.db.repo.latestReferenceVersion();
    expect(await text('#upload-result')).toBe(`stored as reference version ${version} (2 factors)`);
    await shot('applied', '#reference');
  }, 60_000);

  let footprintId = '';

  it('computes a product for a chosen month and shows its audit tree', async () => {
    await page.fill('#month', '2026-10');
    await page.locator('#status', { hasText: '· 0 results' }).waitFor();
    expect(await page.locator('#results tbody tr').count()).toBe(0);
    await page.fill('#month', '2026-11');
    await page.locator('#status', { hasText: '· 6 results' }).waitFor();

    await page.selectOption('#calc-product', 'housing');
    await page.selectOption('#calc-method', 'location');
    await page.selectOption('#calc-gwp', 'AR6');
    await page.click('#calc button[type=submit]');
    await page.waitForSelector('#calc-output:not([hidden])');
    const expected = (await (
      await fetch(`${api.url}/api/pcf`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await api.token(UPLOADER)}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          product: 'housing',
          periodStart: '2026-11-01T00:00:00Z',
          periodEnd: '2026-12-01T00:00:00Z',
        }),
      })
    ).json()) as { result: { pcfPerDeclaredUnitDisplay: string } };
    expect(await text('#calc-summary')).toContain(
      `housing · 2026-11 · location-based · AR6: ${expected.result.pcfPerDeclaredUnitDisplay} kgCO2e per piece`,
    );
    const tree = await text('#calc-tree');
    expect(tree).toContain('demo-paint'); // the factor just applied is what the tree derives from
    expect(tree).toMatch(/3\.4/);
    await shot('calculated-audit-tree');
  }, 60_000);

  it('publishes it to PACT: the footprint id and version are shown, and the result lists it', async () => {
    await page.click('#calc-publish');
    await page.locator('#publish-result', { hasText: 'published as PACT footprint' }).waitFor();
    footprintId = (await page.getAttribute('#publish-result', 'data-footprint-id'))!;
    expect(await text('#publish-result')).toMatch(
      new RegExp(`^published as PACT footprint ${footprintId}, version 1 \\(result [0-9a-f-]{36}\\)$`),
    );
    const stored = await api.db.repo.getFootprint(footprintId);
    expect(stored).toMatchObject({ productId: 'housing', version: 1, status: 'Active' });
    await page.locator('#status', { hasText: '· 7 results' }).waitFor();
    expect(await text('#results tbody')).toContain(`${footprintId} v1 (Active)`);
    await shot('published', '#results-section');
  }, 60_000);

  it('grants it to a partner, who then finds it in its PACT list', async () => {
    expect(await partnerIds()).not.toContain(footprintId);
    await page.click('#grants-load');
    await page.waitForSelector('#grant-form:not([hidden])');
    await page.fill('#grant-client', PARTNER.id);
    await page.selectOption('#grant-kind', 'product');
    await page.fill('#grant-value', 'housing');
    await page.click('#grant-form button[type=submit]');
    await page.locator('#grant-result', { hasText: 'granted' }).waitFor();
    expect(await text('#grant-result')).toBe('granted: partner sees product housing');
    expect(await text('#grants tbody')).toMatch(/partner\s+product\s+housing/);
    await shot('granted', '#grants-section');

    expect(await partnerIds()).toContain(footprintId);
    const partnerPage = await context.newPage();
    await partnerPage.setExtraHTTPHeaders({ authorization: `Bearer ${await api.token(PARTNER)}` });
    await partnerPage.goto(`${api.url}/2/footprints`);
    expect(await partnerPage.locator('body').innerText()).toContain(footprintId);
    await partnerPage.screenshot({ path: join(shots, `${String(++step).padStart(2, '0')}-partner-pact-list.png`) });
    await partnerPage.close();
  }, 60_000);

  it('marks a result stale after late data, with the difference', async () => {
    const w = demoRollups().find((x) => x.type === 'line' && x.line === 'line-2')!;
    await api.db.repo.ingest({
      rollups: decodeRollups([{ ...w, revision: 2, electricityKWh: w.electricityKWh + 8 }]),
      deadLetters: [],
    });
    await page.fill('#month', '2026-10');
    await page.locator('#status', { hasText: '· 0 results' }).waitFor();
    await page.fill('#month', '2026-11');
    await page.locator('#results td.stale').first().waitFor();
    const stale = await page.locator('#results td.stale').allInnerTexts();
    expect(stale.length).toBeGreaterThan(0);
    for (const s of stale) expect(s).toMatch(/^stale: \+[0-9.e-]+ kgCO2e\/\w+ \([0-9.e-]+ %\), \+8 kWh; now /);
    await shot('stale-results', '#results-section');
  }, 60_000);

  it('exports results and line energy as CSV files', async () => {
    const [results] = await Promise.all([page.waitForEvent('download'), page.click('#export-results')]);
    expect(results.suggestedFilename()).toBe('pcf-results-2026-11.csv');
    const rows = parseCsv(readFileSync((await results.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(7);
    expect(rows.find((r) => r.footprintId === footprintId)).toMatchObject({ product: 'housing', stale: 'false' });
    expect(rows.some((r) => r.stale === 'true')).toBe(true);
    const [energy] = await Promise.all([page.waitForEvent('download'), page.click('#export-energy')]);
    expect(energy.suggestedFilename()).toBe('line-energy-2026-11.csv');
    const lines = parseCsv(readFileSync((await energy.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(new Set(lines.map((l) => l.line))).toEqual(new Set(['line-1', 'line-2']));
  }, 60_000);

  it('revokes the grant: the partner no longer sees the footprint', async () => {
    await page.click('[data-testid="revoke-partner-housing"]');
    await page.locator('#grant-result', { hasText: 'revoked' }).waitFor();
    expect(await text('#grants tbody')).not.toMatch(/partner\s+product\s+housing/);
    expect(await partnerIds()).not.toContain(footprintId);
    await shot('revoked', '#grants-section');
    expect(errors).toEqual([]);
    expect(refused).toEqual(['400 POST /api/reference/factors']);
  }, 60_000);
});
