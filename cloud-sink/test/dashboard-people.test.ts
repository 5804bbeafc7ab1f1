import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startApi, type RunningApi } from './api-helpers';
import { startTestIssuer, type TestIssuer } from './oidc-issuer';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'];

/**
 * People sign in to the dashboard through an OpenID Connect issuer (authorization code + PKCE in the browser), in
 * headless Debian Chromium, against a local issuer shaped like Cognito (groups in the access token): each sees the
 * views their groups allow and the API's 403 where they do not.
 */
const suite = existsSync(CHROMIUM) ? describe : describe.skip;

suite('dashboard: people sign in with OpenID Connect', () => {
  let issuer: TestIssuer;
  let api: RunningApi;
  let context: BrowserContext;
  let profile: string;
  const errors: string[] = [];
  const sitesCsv = join(mkdtempSync(join(tmpdir(), 'pcf-edge-upload-')), 'sites.csv');
  writeFileSync(sitesCsv, 'id,name,region,country\nplant-1,Demo factory,GB,GB\n');

  beforeAll(async () => {
    issuer = await startTestIssuer({
      people: [
        { username: 'olivia', groups: ['ops:read'] },
        { username: 'walter', groups: ['ops:read', 'ops:write'] },
        { username: 'ada', groups: ['admin'] },
        // `pact` is never a person's scope: the group grants nothing
        { username: 'pat', groups: ['pact', 'ops:admin'] },
        { username: 'brief', groups: ['ops:read'], ttlSec: 4 },
      ],
      redirectUris: () => [`${api.url}/`],
    });
    api = await startApi({
      config: { oidc: { issuer: issuer.url, audience: issuer.clientId, groupsClaim: 'cognito:groups' } },
    });
    profile = mkdtempSync(join(tmpdir(), 'pcf-edge-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1800 },
    });
  }, 90_000);
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await api?.close();
    await issuer?.close();
  });

  async function signIn(username: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${api.url}/`);
    await page.click('#oidc-signin');
    await page.waitForURL(`${issuer.url}/oauth2/authorize**`);
    await page.fill('#username', username);
    await page.click('#sign-in');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    return page;
  }

  it('an operator (group ops:read) sees the operational views and is refused upload and admin, with the 403', async () => {
    const page = await signIn('olivia');
    expect(page.url()).toBe(`${api.url}/`); // code and state are gone from the address bar
    expect(await page.locator('#status').textContent()).toContain('signed in as olivia');
    expect(await page.locator('#lines tbody tr').count()).toBe(2);
    expect(await page.locator('#orders tbody tr').count()).toBe(4);
    expect(await page.locator('#ops-error').isHidden()).toBe(true);
    await page.click('#clients-load');
    await page.waitForSelector('#admin-error:not([hidden])');
    expect(await page.locator('#admin-error').textContent()).toBe(
      "403 AccessDenied: the access token lacks the 'admin' scope",
    );
    expect(await page.locator('#clients').isHidden()).toBe(true);
    await page.setInputFiles('#upload-file', sitesCsv);
    await page.click('#upload button[type=submit]');
    await page.waitForSelector('#upload-error:not([hidden])');
    expect(await page.locator('#upload-error').textContent()).toContain('403 AccessDenied');
    expect(await page.locator('#upload-error').textContent()).toContain('ops:write');
    // still signed in after a refusal
    expect(await page.evaluate('sessionStorage.getItem("pcf-edge-token") !== null')).toBe(true);
    expect(issuer.tokenRequests).toContain('ok');
    await page.close();
  }, 90_000);

  it('a person in ops:write uploads reference data; an admin sees clients and is refused the operational views', async () => {
    const writer = await signIn('walter');
    await writer.setInputFiles('#upload-file', sitesCsv);
    await writer.click('#upload button[type=submit]');
    await writer.locator('#upload-result', { hasText: 'stored as reference version' }).waitFor();
    await writer.close();

    const admin = await signIn('ada');
    expect(await admin.locator('#ops-error').textContent()).toBe(
      "403 AccessDenied: the access token lacks the 'ops:read' scope",
    );
    expect(await admin.locator('#ops-data').isHidden()).toBe(true);
    await admin.click('#clients-load');
    await admin.waitForSelector('#clients:not([hidden])');
    expect(await admin.locator('#clients').isVisible()).toBe(true);
    expect(await admin.locator('#clients tbody').textContent()).toContain('partner');
    await admin.close();

    const nobody = await signIn('pat');
    expect(await nobody.locator('#ops-error').textContent()).toContain('403 AccessDenied');
    await nobody.click('#clients-load');
    await nobody.waitForSelector('#admin-error:not([hidden])');
    expect(await nobody.locator('#admin-error').textContent()).toContain('403 AccessDenied');
    await nobody.close();
  }, 120_000);

  it('signs out here and at the issuer, which sends the browser back signed out', async () => {
    const page = await signIn('olivia');
    await page.click('#logout');
    await page.waitForURL(`${api.url}/`);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.locator('#content').isHidden()).toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("pcf-edge-token")')).toBeNull();
    expect(await page.locator('#oidc-signin').isVisible()).toBe(true);
    await page.close();
  }, 60_000);

  it('signs out when the access token expires, and says so', async () => {
    const page = await signIn('brief');
    await page.waitForSelector('#login:not([hidden])', { timeout: 15_000 });
    expect(await page.locator('#error').textContent()).toContain('expired');
    expect(await page.evaluate('sessionStorage.getItem("pcf-edge-token")')).toBeNull();
    await page.close();
  }, 60_000);

  it('refuses an answer that does not belong to a sign-in started in this tab (state)', async () => {
    const page = await context.newPage();
    await page.goto(`${api.url}/?code=stolen&state=forged`);
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.locator('#error').textContent()).toContain('state');
    expect(await page.locator('#content').isHidden()).toBe(true);
    expect(page.url()).toBe(`${api.url}/`);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
