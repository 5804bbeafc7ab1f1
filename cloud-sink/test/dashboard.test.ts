import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { referenceTemplate } from '../src/reference/formats';
import { REFERENCE_KINDS } from '../src/reference/types';
import { READER, startApi, type RunningApi } from './api-helpers';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = resolve(__dirname, '../../test-output');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** End to end in headless Debian Chromium (never a downloaded browser): a real server with the demo data. */
const suite = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM))
  console.warn(`dashboard browser test skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`);

suite('dashboard in headless Chromium', () => {
  let api: RunningApi;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    api = await startApi();
    profile = mkdtempSync(join(tmpdir(), 'pcf-edge-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1800 },
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 90_000);
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await api?.close();
  });

  it('signs in, draws charts with data, and drills down from a number to its audit derivation', async () => {
    await page.goto(`${api.url}/`);
    await page.fill('#client-id', READER.id);
    await page.fill('#client-secret', READER.secret);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });

    // Browser-side code as strings: this package compiles without the DOM library.
    const points =
      (await page.evaluate(`Object.fromEntries(['chart-energy', 'chart-units', 'chart-pcf'].map((id) => [id,
      Chart.getChart(document.getElementById(id)).data.datasets.reduce((n, d) => n + d.data.filter((v) => typeof v === 'number' && v > 0).length, 0)]))`)) as Record<
        string,
        number
      >;
    expect(points['chart-energy']).toBeGreaterThanOrEqual(16 * 3); // line-1 electricity + gas, line-2 electricity
    expect(points['chart-units']).toBeGreaterThan(0);
    expect(points['chart-pcf']).toBeGreaterThanOrEqual(6);
    expect(await page.locator('#lines tbody tr').count()).toBe(2);
    expect(await page.locator('#lines tbody tr').first().textContent()).toContain('100 %');
    expect(await page.locator('#orders tbody tr').count()).toBe(4);

    const widget = page.locator('[data-testid="pcf-widget-location"]');
    const shown = await widget.textContent();
    expect(shown).toMatch(/^\d+\.\d+$/);
    await widget.click();
    await page.waitForSelector('#audit:not([hidden])');
    const tree = await page.locator('#audit-tree').textContent();
    expect(tree).toContain('order o-201');
    expect(await page.locator('#audit-head').textContent()).toContain('location-based');

    await page.locator('[data-testid="order-o-102"]').click();
    await page.locator('#audit-head', { hasText: 'housing' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#audit-tree .highlight').first().textContent()).toContain('order o-102');

    // reference data formats: a template downloads as the file the API serves
    expect(await page.locator('#reference-formats tbody tr').count()).toBe(REFERENCE_KINDS.length);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid="template-factors"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe('factors.csv');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(referenceTemplate('factors').text);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 90_000);

  it('signs in from a URL fragment and removes it from the address bar', async () => {
    const p = await context.newPage();
    await p.goto(`${api.url}/#client_id=${READER.id}&client_secret=${encodeURIComponent(READER.secret)}`);
    await p.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    expect(p.url()).toBe(`${api.url}/`);
    await p.close();
  }, 60_000);

  it('shows a clear error for a wrong secret and stays signed out', async () => {
    const p = await context.newPage();
    await p.goto(`${api.url}/`);
    await p.evaluate('sessionStorage.clear()');
    await p.reload();
    await p.fill('#client-id', READER.id);
    await p.fill('#client-secret', 'wrong');
    await p.click('#login button[type=submit]');
    await p.waitForSelector('#error:not([hidden])');
    expect(await p.locator('#error').textContent()).toContain('sign-in failed');
    expect(await p.locator('#content').isHidden()).toBe(true);
    await p.close();
  }, 60_000);
});
