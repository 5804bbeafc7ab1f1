/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are inspected loosely */
import { createServer, type Server } from 'node:http';
import { generateKeyPair, exportJWK, SignJWT } from 'jose';
import { silentLogger } from '@pcf-edge/core';
import { createApiServer } from '../src/api/server';
import { rotateSigningKeys } from '../src/api/signing-keys';
import type { ProductFootprint } from '../src/pact/types';
import {
  ADMIN,
  assertPactResponsesValid,
  basic,
  checkPactResponses,
  PARTNER,
  READER,
  startApi,
  testConfig,
  TEST_KEYS_FILE,
  UPLOADER,
  type RunningApi,
} from './api-helpers';
import { openApiResponseProblems } from './pact-openapi';

const WIDGET = 'urn:pcf-edge:demo:product:widget';
const HOUSING = 'urn:pcf-edge:demo:product:housing';

/** Scopes, grants, stateless tokens, OIDC, rate limits: what a PACT partner, an operator and an admin may do. */
describe('API security', () => {
  let api: RunningApi;
  let partner: string, reader: string, admin: string;
  beforeAll(async () => {
    api = await startApi({ config: { rateLimit: { perClient: 40, windowMs: 60_000 } } });
    [partner, reader, admin] = await Promise.all([api.token(PARTNER), api.token(READER), api.token(ADMIN)]);
  }, 60_000);
  afterAll(() => api.close());

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as any };
  };
  const valid = (v: 2 | 3, method: 'get' | 'post', path: string, r: { status: number; body: unknown }) =>
    expect(openApiResponseProblems(v, method, path, r.status, r.body)).toEqual([]);

  it('gives a PACT partner 403 on every operational and admin route', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/products'],
      ['GET', '/api/orders'],
      ['GET', '/api/results'],
      ['GET', '/api/results/x/audit'],
      ['GET', '/api/energy'],
      [
        'POST',
        '/api/pcf',
        { product: 'widget', periodStart: '2026-11-02T06:00:00Z', periodEnd: '2026-11-02T10:00:00Z' },
      ],
      ['POST', '/api/reference/sites', 'id,region\ns,GB\n'],
      ['GET', '/api/admin/clients'],
      ['POST', '/api/admin/clients', { clientId: 'x', scopes: ['admin'] }],
      ['GET', '/api/admin/grants'],
      ['POST', '/api/admin/grants', { clientId: 'partner', kind: 'product', value: 'housing' }],
      ['POST', '/api/admin/clients/partner/disable'],
    ];
    for (const [method, path, body] of routes) {
      const r = await call(method, path, partner, body);
      expect({ path, status: r.status, code: r.body?.code }).toEqual({ path, status: 403, code: 'AccessDenied' });
    }
  });

  it('shows a partner only its granted footprints in list, get and $filter (v2 and v3)', async () => {
    const all = await call('GET', '/2/footprints', reader);
    const mine = await call('GET', '/2/footprints', partner);
    valid(2, 'get', '/2/footprints', mine);
    expect(all.body.data.length).toBeGreaterThan(mine.body.data.length);
    expect(mine.body.data.length).toBeGreaterThan(0);
    expect(mine.body.data.every((f: ProductFootprint) => f.productIds.includes(WIDGET))).toBe(true);
    const other = all.body.data.find((f: ProductFootprint) => !f.productIds.includes(WIDGET)) as ProductFootprint;
    const denied = await call('GET', `/2/footprints/${other.id}`, partner);
    expect(denied).toMatchObject({ status: 403, body: { code: 'AccessDenied' } });
    valid(2, 'get', '/2/footprints/{id}', denied);
    const got = await call('GET', `/2/footprints/${mine.body.data[0].id}`, partner);
    expect(got.status).toBe(200);
    valid(2, 'get', '/2/footprints/{id}', got);
    const filter = (id: string) => `$filter=${encodeURIComponent(`productIds/any(p:(p eq '${id}'))`)}`;
    expect((await call('GET', `/2/footprints?${filter(HOUSING)}`, partner)).body.data).toEqual([]);
    expect((await call('GET', `/2/footprints?${filter(HOUSING)}`, reader)).body.data.length).toBeGreaterThan(0);
    expect((await call('GET', `/2/footprints?${filter(WIDGET)}`, partner)).body.data).toEqual(mine.body.data);
    const v3 = await call('GET', '/3/footprints', partner);
    valid(3, 'get', '/3/footprints', v3);
    expect(v3.body.data.map((f: { id: string }) => f.id).sort()).toEqual(
      mine.body.data.map((f: { id: string }) => f.id).sort(),
    );
    expect((await call('GET', `/3/footprints?productId=${HOUSING}`, partner)).body.data).toEqual([]);
    expect((await call('GET', `/3/footprints/${other.id}`, partner)).status).toBe(403);
  });

  it('publishes each product its own values: the widget is 3.2 kg per piece, never a placeholder', async () => {
    const widget = (await call('GET', '/2/footprints', partner)).body.data[0] as ProductFootprint;
    expect(widget.pcf).toMatchObject({ declaredUnit: 'kilogram', unitaryProductAmount: '3.2' });
    expect(widget.pcf).not.toHaveProperty('productMassPerDeclaredUnit'); // 1 kg per kg says nothing: omitted (v2.3 optional)
    expect(widget.pcf).not.toHaveProperty('pCfIncludingBiogenic');
    // kg C per kg: the product data's 0.0071 kg C per 3.2 kg piece
    expect(widget.pcf.fossilCarbonContent).toBe('0.002219');
    const v3 = (await call('GET', `/3/footprints/${widget.id}`, partner)).body.data;
    expect(v3.pcf).toMatchObject({
      declaredUnitOfMeasurement: 'piece',
      declaredUnitAmount: '1',
      productMassPerDeclaredUnit: '3.2',
      fossilCarbonContent: '0.0071',
    });
    const sheet = (await call('GET', '/2/footprints', reader)).body.data.find((f: ProductFootprint) =>
      f.productIds.includes('urn:pcf-edge:demo:product:steel-sheet'),
    ) as ProductFootprint;
    expect(sheet.pcf).toMatchObject({ declaredUnit: 'kilogram', productMassPerDeclaredUnit: '1' });
  });

  it('answers PACT conformance cases 6, 7, 8 and 16: invalid token 400 BadRequest, unknown id 404', async () => {
    const bad = `very-invalid-access-token-${'x'.repeat(16)}`;
    const id = (await call('GET', '/2/footprints', partner)).body.data[0].id as string;
    for (const [method, path, schemaPath] of [
      ['GET', '/2/footprints', '/2/footprints'],
      ['GET', `/2/footprints/${id}`, '/2/footprints/{id}'],
      ['POST', '/2/events', '/2/events'],
      ['GET', '/3/footprints', '/3/footprints'],
    ] as const) {
      const r = await call(method, path, bad, method === 'POST' ? {} : undefined);
      expect({ path, status: r.status, code: r.body.code }).toEqual({ path, status: 400, code: 'BadRequest' });
      valid(schemaPath.startsWith('/3') ? 3 : 2, method === 'GET' ? 'get' : 'post', schemaPath, r);
    }
    const missing = await call('GET', '/2/footprints/00000000-0000-0000-0000-000000000000', partner);
    expect(missing).toMatchObject({ status: 404, body: { code: 'NoSuchFootprint' } });
    valid(2, 'get', '/2/footprints/{id}', missing);
    const missing3 = await call('GET', '/3/footprints/00000000-0000-0000-0000-000000000000', partner);
    expect(missing3).toMatchObject({ status: 404, body: { code: 'NotFound' } });
    valid(3, 'get', '/3/footprints/{id}', missing3);
  });

  it('caps ad-hoc periods and names the cap', async () => {
    const r = await call('POST', '/api/pcf', reader, {
      product: 'widget',
      periodStart: '2026-01-01T00:00:00Z',
      periodEnd: '2026-03-01T00:00:00Z',
    });
    expect(r).toMatchObject({
      status: 400,
      body: { code: 'BadRequest', message: expect.stringContaining('at most 31 days') },
    });
  });

  it('lets an admin manage clients and grants; a disabled client gets no new token', async () => {
    const created = await call('POST', '/api/admin/clients', admin, { clientId: 'acme', scopes: ['pact'] });
    expect(created).toMatchObject({ status: 201, body: { clientId: 'acme', clientSecret: expect.any(String) } });
    const acme = { id: 'acme', secret: created.body.clientSecret as string };
    const token = await api.token(acme);
    expect((await call('GET', '/2/footprints', token)).body.data).toEqual([]);
    expect(
      (await call('POST', '/api/admin/grants', admin, { clientId: 'acme', kind: 'productId', value: HOUSING })).status,
    ).toBe(201);
    const shared = (await call('GET', '/2/footprints', token)).body.data as ProductFootprint[];
    expect(shared.length).toBeGreaterThan(0);
    expect(shared.every((f) => f.productIds.includes(HOUSING))).toBe(true);
    const listed = await call('GET', '/api/admin/clients', admin);
    expect(JSON.stringify(listed.body)).not.toContain('scrypt$');
    expect((await call('POST', '/api/admin/clients/acme/disable', admin)).body).toMatchObject({ disabled: true });
    const refused = await fetch(`${api.url}/auth/token`, {
      method: 'POST',
      headers: { authorization: basic(acme.id, acme.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    // tokens are stateless: one issued before stays valid until it expires (tokenTtlSec ≤ 1 h, default 15 min)
    expect((await call('GET', '/2/footprints', token)).status).toBe(200);
  });

  it('verifies a token issued by instance A on instance B (shared database and key file only)', async () => {
    const b = createApiServer({ repo: api.db.repo, config: await testConfig(), log: silentLogger() });
    const problems = checkPactResponses(b);
    await b.listen({ host: '127.0.0.1', port: 0 });
    try {
      const addr = b.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${addr.port}/2/footprints`, {
        headers: { authorization: `Bearer ${partner}` },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    } finally {
      await b.close();
    }
    assertPactResponsesValid(problems);
  });

  it('rotates the signing key with overlap: old tokens keep working, new ones carry the new kid', async () => {
    const header = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as { kid: string };
    const before = await api.token(UPLOADER);
    const kid = rotateSigningKeys(TEST_KEYS_FILE, 0);
    await new Promise((r) => setTimeout(r, 5_100)); // instances re-read the key file at most every 5 s
    const after = await api.token(UPLOADER);
    expect(header(after).kid).toBe(kid);
    expect(header(before).kid).not.toBe(kid);
    for (const t of [before, after]) expect((await call('GET', '/api/products', t)).status).toBe(200);
  });

  it('rate-limits per client id: one client hitting its limit does not limit another', async () => {
    const r = await startApi({ demo: false, config: { rateLimit: { perClient: 5, windowMs: 60_000 } } });
    try {
      const [p, q] = await Promise.all([r.token(PARTNER), r.token(READER)]);
      const statuses = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await fetch(`${r.url}/2/footprints`, { headers: { authorization: `Bearer ${p}` } })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect((await fetch(`${r.url}/2/footprints`, { headers: { authorization: `Bearer ${q}` } })).status).toBe(200);
    } finally {
      await r.close();
    }
  });
});

describe('access tokens of an external OpenID Connect issuer', () => {
  let issuer: Server;
  let issuerUrl: string;
  let api: RunningApi;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
    issuer = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration')
        res.end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks.json` }));
      else if (req.url === '/jwks.json') res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((r) => issuer.listen(0, '127.0.0.1', r));
    issuerUrl = `http://127.0.0.1:${(issuer.address() as { port: number }).port}`;
    sign = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
        .setIssuer(issuerUrl)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);
    api = await startApi({
      config: { oidc: { issuer: issuerUrl, audience: 'dashboard-app', scopePrefix: 'pcf-edge/' } },
    });
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await new Promise((r) => issuer.close(r));
  });
  const get = (path: string, token: string) =>
    fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('accepts them by issuer and audience (aud, or Cognito client_id) with the scopes they carry', async () => {
    const person = await sign({ sub: 'user-1', client_id: 'dashboard-app', scope: 'openid pcf-edge/ops:read' });
    expect((await get('/api/products', person)).status).toBe(200);
    expect((await get('/api/admin/clients', person)).status).toBe(403);
    const withAud = await sign({ sub: 'svc', aud: 'dashboard-app', scope: 'pcf-edge/ops:read' });
    expect((await get('/api/orders', withAud)).status).toBe(200);
  });

  it('refuses another audience, an expired token and a token signed by another key', async () => {
    const other = await sign({ sub: 'u', aud: 'someone-else', scope: 'pcf-edge/ops:read' });
    expect((await get('/api/products', other)).status).toBe(400);
    const expired = await new SignJWT({ client_id: 'dashboard-app', scope: 'pcf-edge/ops:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(issuerUrl)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign((await generateKeyPair('ES256')).privateKey);
    expect((await get('/api/products', expired)).status).toBe(400); // another key: unverifiable before expiry counts
    const forged = await new SignJWT({ client_id: 'dashboard-app', scope: 'pcf-edge/ops:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(issuerUrl)
      .setExpirationTime('10m')
      .sign((await generateKeyPair('ES256')).privateKey);
    expect((await get('/api/products', forged)).status).toBe(400);
  });
});
