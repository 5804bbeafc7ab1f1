import pino from 'pino';
import { Writable } from 'node:stream';
import { basic, READER, startApi, UPLOADER, type RunningApi } from './api-helpers';

/** State that no refused request may change. */
async function state(api: RunningApi) {
  const r = api.db.repo;
  return {
    results: (await r.listResults()).length,
    audit: (await r.listAuditRecords()).length,
    refs: await r.latestReferenceVersion(),
    footprints: (await r.listFootprintVersions()).length,
    rollups: await r.countRollups(),
  };
}

describe('malformed and hostile requests', () => {
  let api: RunningApi;
  let clock = Date.parse('2026-11-03T00:00:00Z');
  const logLines: string[] = [];
  let upload: string;
  let read: string;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    api = await startApi({
      log: pino({ level: 'trace' }, sink),
      now: () => clock,
      config: { bodyLimitBytes: 4096, uploadLimitBytes: 8192, rateLimit: { token: 12, windowMs: 60_000 } },
    });
    upload = await api.token(UPLOADER);
    read = await api.token(READER);
  }, 60_000);
  afterAll(async () => {
    await api.close();
  });

  const send = (method: string, path: string, body?: string, type = 'application/json', token = upload) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      ...(body !== undefined ? { body } : {}),
    });
  const expectError = async (res: Response, status: number, code: string | RegExp) => {
    const body = (await res.json()) as { code: string; message: string };
    expect({ status: res.status, code: body.code }).toEqual({ status, code: expect.stringMatching(code) });
    expect(body.message.length).toBeGreaterThan(5);
  };

  it('answers bad JSON, oversize bodies, bad $filter and bad parameters with 4xx and changes nothing', async () => {
    const before = await state(api);
    await expectError(await send('POST', '/api/pcf', '{"product": "widget",'), 400, 'BadRequest');
    await expectError(await send('POST', '/2/events', '{not json', 'application/cloudevents+json'), 400, 'BadRequest');
    await expectError(
      await send('POST', '/api/pcf', JSON.stringify({ product: 'widget', pad: 'x'.repeat(5000) })),
      413,
      'PayloadTooLarge',
    );
    await expectError(
      await send('POST', '/api/reference/sites', `id,region\n${'s,GB\n'.repeat(2000)}`, 'text/csv'),
      413,
      'PayloadTooLarge',
    );
    await expectError(
      await send(
        'POST',
        '/api/pcf',
        JSON.stringify({ product: 'widget', periodStart: 'x', periodEnd: '2026-11-02T10:00:00Z' }),
      ),
      400,
      'BadRequest',
    );
    await expectError(
      await send(
        'POST',
        '/api/pcf',
        JSON.stringify({
          product: 'widget',
          periodStart: '2026-11-02T06:00:00Z',
          periodEnd: '2026-11-02T10:00:00Z',
          extra: 1,
        }),
      ),
      400,
      'BadRequest',
    );
    await expectError(
      await send('POST', '/api/reference/sites', 'id,region\n', 'application/xml'),
      415,
      'UnsupportedMediaType',
    );
    await expectError(
      await send('POST', '/api/reference/sites', 'id,name\ns1,x\n', 'text/csv'),
      400,
      'ERR_REFERENCE_INVALID',
    );
    await expectError(
      await send('POST', '/api/reference/sites', '[{"id": 1}', 'application/json'),
      400,
      'ERR_REFERENCE_INVALID',
    );
    for (const f of [
      "companyName eq 'x'",
      "created eq '2026-01-01T00:00:00Z' or 1 eq 1",
      "pcf/geographyCountry eq 'GB",
      '',
    ]) {
      await expectError(await send('GET', `/2/footprints?$filter=${encodeURIComponent(f)}`), 400, 'BadRequest');
    }
    for (const l of ['0', '-1', '1001', 'abc', '1;DROP'])
      await expectError(await send('GET', `/2/footprints?limit=${l}`), 400, 'BadRequest');
    expect(await state(api)).toEqual(before);
  });

  it('treats SQL metacharacters in every parameter as plain data', async () => {
    const before = await state(api);
    const evil = [
      "' OR '1'='1",
      "x'; DROP TABLE footprints; --",
      '"; DELETE FROM pcf_results; --',
      '1 UNION SELECT * FROM audit_records',
    ];
    for (const e of evil) {
      const q = encodeURIComponent(e);
      await expectError(await send('GET', `/2/footprints/${q}`), 404, 'NoSuchFootprint');
      const filtered = await send(
        'GET',
        `/2/footprints?$filter=${encodeURIComponent(`pcf/geographyCountry eq '${e.replace(/'/g, "''")}'`)}`,
      );
      expect(filtered.status).toBe(200);
      expect(((await filtered.json()) as { data: unknown[] }).data).toEqual([]);
      await expectError(await send('GET', `/2/footprints?limit=${q}`), 400, 'BadRequest');
      await expectError(await send('GET', `/2/footprints?offset=${q}`), 400, 'BadRequest');
      await expectError(await send('GET', `/api/results/${q}/audit`), 404, 'ERR_NOT_FOUND');
      await expectError(await send('GET', `/api/energy?line=${q}`), 404, 'NotFound');
      await expectError(await send('GET', `/api/energy?from=${q}`), 400, 'BadRequest');
      await expectError(await send('POST', `/api/reference/${q}`, 'id\n', 'text/csv'), 404, 'NotFound');
      await expectError(
        await send(
          'POST',
          '/api/pcf',
          JSON.stringify({ product: e, periodStart: '2026-11-02T06:00:00Z', periodEnd: '2026-11-02T10:00:00Z' }),
        ),
        404,
        'ERR_NOT_FOUND',
      );
    }
    expect(await state(api)).toEqual(before);
    // Stored verbatim as data: the same strings come back, every table is intact.
    const csv = `id,region\n${evil.map((e) => `"${e.replace(/"/g, '""')}",GB`).join('\n')}\n`;
    expect((await send('POST', '/api/reference/sites', csv, 'text/csv')).status).toBe(201);
    const sites = await api.db.repo.getReference('sites', await api.db.repo.latestReferenceVersion());
    expect(sites.map((x) => x.entityId)).toEqual(expect.arrayContaining(evil));
    expect(await state(api)).toEqual({ ...before, refs: before.refs + 1 });
  });

  it('refuses missing, malformed, unknown and expired tokens', async () => {
    const token = await api.token(READER);
    const get = (auth?: string) => fetch(`${api.url}/2/footprints`, { headers: auth ? { authorization: auth } : {} });
    // PACT v2 §8.6.4: a missing or invalid token is BadRequest (conformance cases 6, 7, 16)
    await expectError(await get(), 400, 'BadRequest');
    await expectError(await get('Bearer'), 400, 'BadRequest');
    await expectError(await get(`Bearer ${token}'--`), 400, 'BadRequest');
    await expectError(await get('Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 400, 'BadRequest');
    await expectError(await get(basic(READER.id, READER.secret)), 400, 'BadRequest');
    expect((await get(`Bearer ${token}`)).status).toBe(200);
    clock += 3600_000;
    await expectError(await get(`Bearer ${token}`), 401, 'TokenExpired');
    upload = await api.token(UPLOADER);
    read = await api.token(READER);
  });

  it('sets security headers on API and dashboard responses', async () => {
    for (const path of ['/', '/.well-known/openid-configuration']) {
      const res = await fetch(`${api.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).toBeTruthy();
    }
  });

  it('keeps secrets and tokens out of the logs', async () => {
    await fetch(`${api.url}/auth/token`, {
      method: 'POST',
      headers: {
        authorization: basic(READER.id, 'a-wrong-secret-99'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    await send('GET', '/2/footprints?limit=1', undefined, 'application/json', read);
    await send('POST', '/api/pcf', '{"broken', 'application/json', read);
    const text = logLines.join('');
    expect(text).toContain('token issued');
    expect(text).toContain('"route":"/2/footprints"');
    for (const secret of [
      READER.secret,
      UPLOADER.secret,
      'a-wrong-secret-99',
      read,
      upload,
      Buffer.from(`${READER.id}:${READER.secret}`).toString('base64'),
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('rate-limits the token endpoint per client address', async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 20 && !limited; i++) {
      const res = await fetch(`${api.url}/auth/token`, {
        method: 'POST',
        headers: { authorization: basic('nobody', 'x'), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited).toBeDefined();
    await expectError(limited!, 429, 'TooManyRequests');
  });
});
