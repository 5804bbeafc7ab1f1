import { pactSchemaErrors } from '../src/pact/schema';
import { openApiSchemaProblems } from './pact-openapi';
import type { ProductFootprint } from '../src/pact/types';
import { basic, PUBLIC_BASE, READER, startApi, UPLOADER, type RunningApi } from './api-helpers';
import { PG_URL, pgSkipNotice } from './pg-support';

const STORES: [string, string | undefined][] = [
  ['SQLite', undefined],
  ...(PG_URL !== undefined ? [['PostgreSQL', PG_URL] as [string, string]] : []),
];
if (PG_URL === undefined) pgSkipNotice('PACT conformance');

/** A PACT v2 conformance client against a real server over HTTP, on each store. */
describe.each(STORES)('PACT Data Exchange API v2 conformance (%s)', (_store, pgUrl) => {
  let api: RunningApi;
  let token: string;
  beforeAll(async () => {
    api = await startApi(pgUrl !== undefined ? { pgUrl } : {});
    token = await api.token();
  }, 60_000);
  afterAll(async () => {
    await api.close();
  });

  const get = (path: string, t = token) => fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${t}` } });
  const tokenRequest = (auth: string, body: string) =>
    fetch(`${api.url}/auth/token`, {
      method: 'POST',
      headers: { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  // the in-repository field schema and the published PACT v2.3 OpenAPI description
  const expectValid = (fps: ProductFootprint[]) => {
    for (const f of fps) {
      expect({ id: f.id, errors: pactSchemaErrors(f) }).toEqual({ id: f.id, errors: [] });
      expect({ id: f.id, errors: openApiSchemaProblems(2, 'ProductFootprint', f) }).toEqual({ id: f.id, errors: [] });
    }
  };

  it('issues a bearer token for valid client credentials', async () => {
    const res = await tokenRequest(basic(READER.id, READER.secret), 'grant_type=client_credentials');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/),
      token_type: 'bearer',
      expires_in: 900,
      scope: 'ops:read pact',
    });
  });

  it.each([
    ['wrong secret', basic(READER.id, 'wrong'), 'grant_type=client_credentials', 401, 'invalid_client'],
    ['unknown client', basic('nobody', READER.secret), 'grant_type=client_credentials', 401, 'invalid_client'],
    ['no Basic header', 'Bearer x', 'grant_type=client_credentials', 401, 'invalid_client'],
    [
      'posted wrong secret',
      '',
      `grant_type=client_credentials&client_id=${READER.id}&client_secret=nope`,
      401,
      'invalid_client',
    ],
    ['wrong grant type', basic(READER.id, READER.secret), 'grant_type=password', 400, 'unsupported_grant_type'],
    ['missing grant type', basic(READER.id, READER.secret), 'scope=read', 400, 'invalid_request'],
    [
      'scope beyond the client',
      basic(READER.id, READER.secret),
      'grant_type=client_credentials&scope=upload',
      400,
      'invalid_scope',
    ],
  ])('refuses a token request with %s', async (_what, auth, body, status, error) => {
    const res = await tokenRequest(auth, body);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error });
  });

  it('accepts client_secret_post (the dashboard) and sends WWW-Authenticate only for Basic', async () => {
    const posted = await tokenRequest(
      '',
      `grant_type=client_credentials&client_id=${READER.id}&client_secret=${READER.secret}`,
    );
    expect(posted.status).toBe(200);
    expect(
      (await tokenRequest('', 'grant_type=client_credentials&client_id=reader&client_secret=x')).headers.get(
        'www-authenticate',
      ),
    ).toBeNull();
    expect(
      (await tokenRequest(basic(READER.id, 'x'), 'grant_type=client_credentials')).headers.get('www-authenticate'),
    ).toContain('Basic');
  });

  it('publishes the discovery document naming the token endpoint', async () => {
    const res = await fetch(`${api.url}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      token_endpoint: `${PUBLIC_BASE}/auth/token`,
      grant_types_supported: ['client_credentials'],
    });
  });

  it('lists footprints without a filter, every one schema-valid, with the PACT lifecycle applied', async () => {
    const res = await get('/2/footprints');
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: ProductFootprint[] };
    expectValid(data);
    // Market-based results superseded the location-based ones: 3 Deprecated, 3 Active successors.
    expect(data.map((f) => f.status).sort()).toEqual([
      'Active',
      'Active',
      'Active',
      'Deprecated',
      'Deprecated',
      'Deprecated',
    ]);
    const active = data.filter((f) => f.status === 'Active');
    for (const f of active)
      expect(data.find((d) => d.id === f.precedingPfIds?.[0])).toMatchObject({
        status: 'Deprecated',
        productIds: f.productIds,
      });
  });

  it('filters by product id, country, dates and CPC', async () => {
    const q = (f: string) =>
      get(`/2/footprints?$filter=${encodeURIComponent(f)}`).then(
        async (r) => ((await r.json()) as { data: ProductFootprint[] }).data,
      );
    const widget = await q("productIds/any(productId:(productId eq 'urn:pcf-edge:demo:product:widget'))");
    expect(widget).toHaveLength(2);
    expectValid(widget);
    expect(await q("pcf/geographyCountry eq 'GB' and productCategoryCpc eq '4321'")).toHaveLength(2);
    expect(await q("pcf/geographyCountry eq 'DE'")).toEqual([]);
    expect(
      await q(
        "pcf/referencePeriodStart ge '2026-11-02T06:00:00Z' and pcf/referencePeriodEnd le '2026-11-02T10:00:00Z'",
      ),
    ).toHaveLength(6);
    expect(await q("created lt '2020-01-01T00:00:00Z'")).toEqual([]);
  });

  it('pages with an absolute Link rel="next" until the last page', async () => {
    const seen: string[] = [];
    let next: string | undefined =
      `${api.url}/2/footprints?limit=4&$filter=${encodeURIComponent("pcf/geographyCountry eq 'GB'")}`;
    let pages = 0;
    while (next) {
      const res = await fetch(next, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: ProductFootprint[] };
      expectValid(data);
      seen.push(...data.map((f) => f.id));
      const link = res.headers.get('link');
      // absolute, on the configured public base (the request went to 127.0.0.1)
      const m = link ? /^<https:\/\/pcf\.example\.test(\/2\/footprints\?[^>]+)>; rel="next"$/.exec(link) : null;
      next = m ? `${api.url}${m[1]}` : undefined;
      if (link) expect(next).toBeDefined();
      pages++;
    }
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(6);
  });

  it('gets a footprint by id and answers 404 NoSuchFootprint for an unknown id', async () => {
    const { data } = (await (await get('/2/footprints?limit=1')).json()) as { data: ProductFootprint[] };
    const res = await get(`/2/footprints/${data[0]!.id}`);
    expect(res.status).toBe(200);
    const one = ((await res.json()) as { data: ProductFootprint }).data;
    expect(one).toEqual(data[0]);
    expectValid([one]);
    const etag = res.headers.get('etag');
    expect(etag).toBe(`"v${one.version}"`);
    const again = await fetch(`${api.url}/2/footprints/${one.id}`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': etag! },
    });
    expect([again.status, await again.text()]).toEqual([304, '']);
    const missing = await get('/2/footprints/3fa85f64-5717-4562-b3fc-2c963f66afa6');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NoSuchFootprint' });
  });

  it('accepts PACT events and rejects malformed ones', async () => {
    const post = (body: unknown, type = 'application/cloudevents+json; charset=UTF-8') =>
      fetch(`${api.url}/2/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body: JSON.stringify(body),
      });
    const published = {
      specversion: '1.0',
      id: 'e1',
      source: '//partner.example/',
      time: '2026-11-03T00:00:00Z',
      type: 'org.wbcsd.pathfinder.ProductFootprint.Published.v1',
      data: { pfIds: ['3fa85f64-5717-4562-b3fc-2c963f66afa6'] },
    };
    expect((await post(published)).status).toBe(200);
    const request = {
      specversion: '1.0',
      id: 'e2',
      source: '//partner.example/',
      type: 'org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1',
      data: { pf: { productIds: ['urn:x'] }, comment: 'please' },
    };
    // a request from a client with no registered events endpoint cannot be answered (api-pact-events.test.ts answers)
    expect(await (await post(request, 'application/json')).json()).toMatchObject({
      code: 'BadRequest',
      message: expect.stringContaining('no events endpoint'),
    });
    for (const bad of [
      { ...published, type: 'Unknown.v1' },
      { ...published, specversion: '0.3' },
      { ...published, data: { pfIds: [] } },
      { ...request, data: {} },
      [1],
    ]) {
      const res = await post(bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('invalid event') });
    }
  });

  it('requires the token on every PACT route but the token endpoint and discovery', async () => {
    for (const path of ['/2/footprints', '/2/footprints/x', '/api/results']) {
      const res = await fetch(`${api.url}${path}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await res.json()).toMatchObject({ code: 'BadRequest' });
    }
    const upload = await fetch(`${api.url}/api/reference/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: 'id,region\ns,GB\n',
    });
    expect(upload.status).toBe(403);
    expect(await upload.json()).toMatchObject({
      code: 'AccessDenied',
      message: expect.stringContaining("'ops:write' scope"),
    });
    expect((await get('/2/footprints', await api.token(UPLOADER))).status).toBe(200);
  });
});
