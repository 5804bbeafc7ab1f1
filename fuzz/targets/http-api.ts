import { join } from 'node:path';
import fc from 'fast-check';
import { silentLogger } from '@pcf-edge/core';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { apiConfig } from '../../cloud-sink/src/api/config';
import { hashSecret } from '../../cloud-sink/src/api/secrets';
import { createApiServer } from '../../cloud-sink/src/api/server';
import { importDirectory } from '../../cloud-sink/src/service/demo';
import { demoRollups } from '../../cloud-sink/src/service/demo-rollups';
import { decodeRollups } from '../../cloud-sink/src/ingest/quantities';
import { PcfService } from '../../cloud-sink/src/service/pcf-service';
import { openSqliteRepository } from '../../cloud-sink/src/store/sqlite';
import { InvariantError, type FuzzTarget } from '../engine';
import { dataVersionWatch, tempDir } from './support';

const READER = { id: 'reader', secret: 'reader-secret-Zq9' };
const UPLOADER = { id: 'uploader', secret: 'uploader-secret-Xk4' };
const PARTNER = { id: 'partner', secret: 'partner-secret-Pw7' };
const ADMIN = { id: 'admin', secret: 'admin-secret-Ad3' };
/** base64url of JSON, for hand-made token seeds. */
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const NOW_SEC = 1_796_600_000;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;
/** Low scrypt cost for the fuzz clients only, so token requests do not dominate the run. */
const CHEAP = { N: 16, r: 1, p: 1 };
const PERIOD = { periodStart: '2026-11-02T06:00:00.000Z', periodEnd: '2026-11-02T10:00:00.000Z' };

/**
 * Input: an HTTP request as text — `METHOD /url`, header lines, a blank line, the body. `$READ`, `$UPLOAD`,
 * `$PARTNER` and `$ADMIN` in header values become valid bearer tokens (scopes pact+ops:read, ops:read+ops:write,
 * pact with one grant, admin), `$BASIC` valid client credentials. Bytes a real HTTP parser would refuse
 * (control characters in headers, non-token header names) are dropped before `inject`.
 */
export function toRequest(input: Buffer, tokens: Record<string, string>): InjectOptions {
  const text = input.toString('utf8');
  const split = text.search(/\r?\n\r?\n/);
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split).replace(/^\r?\n\r?\n/, '');
  const [requestLine = '', ...headerLines] = head.split(/\r?\n/);
  const [m = 'GET', rawUrl = '/'] = requestLine.split(' ');
  const method = (METHODS as readonly string[]).includes(m.toUpperCase())
    ? m.toUpperCase()
    : METHODS[m.length % METHODS.length]!;
  const url = requestTarget(rawUrl);
  const headers: Record<string, string> = {};
  for (const l of headerLines) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const name = l.slice(0, i).trim().toLowerCase();
    if (
      !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) ||
      /^(content-length|transfer-encoding|host|connection|keep-alive|upgrade|expect|te|trailer)$/.test(name)
    )
      continue;
    headers[name] = l
      .slice(i + 1)
      .trim()
      .replace(/\$(READ|UPLOAD|PARTNER|ADMIN|BASIC)/g, (_, k: string) => tokens[k] ?? '')
      .replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
  }
  return {
    method: method as InjectOptions['method'],
    url,
    headers,
    ...(method === 'GET' || method === 'HEAD' || body === '' ? {} : { payload: body }),
  };
}

/** The request target as a client would send it: bytes outside the URL-safe set percent-encoded, always from '/'. */
function requestTarget(raw: string): string {
  const bytes = Buffer.from(raw.startsWith('/') ? raw : `/${raw}`, 'utf8');
  let url = '';
  for (const b of bytes)
    url += /[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/.test(String.fromCharCode(b))
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  if (url.startsWith('//')) url = `/.${url}`;
  try {
    new URL(url, 'http://localhost');
  } catch {
    return `/${encodeURIComponent(url)}`;
  }
  return url;
}

const req = (head: string, body = '') => Buffer.from(`${head}\n\n${body}`);

export const httpApi: FuzzTarget = {
  name: 'http-api',
  seeds: () => [
    req(
      'POST /auth/token\ncontent-type: application/x-www-form-urlencoded\nauthorization: $BASIC',
      'grant_type=client_credentials&scope=read',
    ),
    req(
      'POST /auth/token\ncontent-type: application/x-www-form-urlencoded',
      'grant_type=client_credentials&client_id=reader&client_secret=x',
    ),
    req(
      "GET /2/footprints?limit=2&$filter=productIds/any(productId:(productId eq 'urn:x'))\nauthorization: Bearer $READ",
    ),
    req('GET /2/footprints/00000000-0000-4000-8000-000000000000\nauthorization: Bearer $READ'),
    req(
      'POST /2/events\ncontent-type: application/cloudevents+json\nauthorization: Bearer $READ',
      JSON.stringify({
        type: 'org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1',
        specversion: '1.0',
        id: 'e1',
        source: '//x',
        data: { pf: { productIds: ['urn:x'] }, comment: 'c' },
      }),
    ),
    req(
      'POST /api/pcf\ncontent-type: application/json\nauthorization: Bearer $READ',
      JSON.stringify({
        product: 'widget',
        ...PERIOD,
        method: 'location',
        gwpSet: 'AR6',
        shareKey: 'units',
        overheadKey: 'units',
        store: false,
      }),
    ),
    req(
      'POST /api/pcf\ncontent-type: application/json\nauthorization: Bearer $READ',
      JSON.stringify({
        product: 'nope',
        ...PERIOD,
        method: 'market',
        gwpSet: 'AR5',
        shareKey: 'mass',
        overheadKey: 'units',
        windowMs: 900000,
      }),
    ),
    req(
      'POST /api/reference/sites\ncontent-type: text/csv\nauthorization: Bearer $UPLOAD',
      'id,name,region\nsite-x,X,DE\nsite-y,Y,\n',
    ),
    req(
      'POST /api/reference/products\ncontent-type: application/json\nauthorization: Bearer $UPLOAD',
      JSON.stringify([{ id: 'p', declaredUnit: 'piece', unitaryProductAmount: 'x', productIds: [] }]),
    ),
    req(
      'GET /api/energy?site=site-1&from=2026-11-02T06:00:00Z&to=2026-11-02T10:00:00Z&window=15m\nauthorization: Bearer $READ',
    ),
    req('GET /api/results\nauthorization: Bearer $READ'),
    req('GET /api/results/abc/audit\nauthorization: Bearer $READ'),
    req('GET /api/products\nauthorization: Bearer expired'),
    req('GET /.well-known/openid-configuration'),
    req('GET /.well-known/jwks.json'),
    req('GET /'),
    // PACT v3
    req(
      'GET /3/footprints?productId=urn:pcf-edge:demo:product:widget&geography=gb&classification=urn:pact:productclassification:un-cpc:4000&validOn=2027-01-01T00:00:00Z&status=Active&limit=1\nauthorization: Bearer $PARTNER',
    ),
    req(
      'GET /3/footprints?validAfter=2020-01-01T00:00:00Z&validBefore=2040-01-01T00:00:00Z&x-v-f=1\nauthorization: Bearer $READ',
    ),
    req('GET /3/footprints/00000000-0000-4000-8000-000000000000\nauthorization: Bearer $PARTNER'),
    req(
      'POST /3/events\ncontent-type: application/cloudevents+json\nauthorization: Bearer $PARTNER',
      JSON.stringify({
        type: 'org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3',
        specversion: '1.0',
        id: 'e3',
        source: 'https://partner.example.test/3/events',
        time: '2026-11-03T00:00:00Z',
        data: { productId: ['urn:pcf-edge:demo:product:widget'], comment: 'c' },
      }),
    ),
    req(
      'POST /2/events\ncontent-type: application/cloudevents+json; charset=UTF-8\nauthorization: Bearer $PARTNER',
      JSON.stringify({
        type: 'org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1',
        specversion: '1.0',
        id: 'e4',
        source: 'https://partner.example.test',
        time: '2026-11-03T00:00:00Z',
        data: { pf: { productIds: ['urn:pcf-edge:demo:product:widget'] } },
      }),
    ),
    // admin
    req('GET /api/admin/clients\nauthorization: Bearer $ADMIN'),
    req(
      'POST /api/admin/grants\ncontent-type: application/json\nauthorization: Bearer $ADMIN',
      JSON.stringify({ clientId: 'partner', kind: 'productId', value: 'urn:pcf-edge:demo:product:housing' }),
    ),
    req(
      'DELETE /api/admin/grants\ncontent-type: application/json\nauthorization: Bearer $ADMIN',
      JSON.stringify({ clientId: 'partner', kind: 'companyId', value: 'urn:x' }),
    ),
    req(
      'POST /api/admin/clients\ncontent-type: application/json\nauthorization: Bearer $ADMIN',
      JSON.stringify({ clientId: 'new-client', scopes: ['pact'] }),
    ),
    req('POST /api/admin/clients/partner/disable\nauthorization: Bearer $PARTNER'),
    req(
      'PUT /api/admin/clients/partner/events\ncontent-type: application/json\nauthorization: Bearer $ADMIN',
      JSON.stringify({ baseUrl: 'https://partner.example.test', authClientId: 'us', authSecretRef: 'env:X' }),
    ),
    // token formats: alg none, HS256 with our kid, a foreign issuer, the OIDC issuer, garbage segments, huge
    req(
      `GET /2/footprints\nauthorization: Bearer ${b64({ alg: 'none' })}.${b64({ iss: 'urn:pcf-edge:api', client_id: 'reader', scope: 'pact', exp: NOW_SEC })}.`,
    ),
    req(
      `GET /2/footprints\nauthorization: Bearer ${b64({ alg: 'HS256', kid: 'k', typ: 'at+jwt' })}.${b64({ iss: 'urn:pcf-edge:api', aud: 'pcf-edge-api', client_id: 'reader', scope: 'pact', exp: NOW_SEC, iat: 1 })}.c2ln`,
    ),
    req(
      `GET /api/orders\nauthorization: Bearer ${b64({ alg: 'RS256', kid: 'x' })}.${b64({ iss: 'http://127.0.0.1:9', client_id: 'p', exp: NOW_SEC })}.AAAA`,
    ),
    req(
      `GET /3/footprints\nauthorization: Bearer ${b64({ alg: 'EdDSA' })}.${b64({ iss: 'https://evil.example', exp: NOW_SEC })}.AAAA`,
    ),
    req('GET /2/footprints\nauthorization: Bearer a.b.c'),
    req('GET /2/footprints\nauthorization: bearer $READ'),
    req(`GET /2/footprints\nauthorization: Bearer ${'A'.repeat(9000)}`),
  ],
  arbitrary: fc
    .tuple(
      fc.constantFrom(...METHODS),
      fc.webPath(),
      fc.dictionary(fc.constantFrom('content-type', 'authorization', 'accept', 'x-a'), fc.string({ maxLength: 40 })),
      fc.oneof(
        fc.string({ maxLength: 100 }),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      ),
    )
    .map(
      ([m, p, h, b]) =>
        new Uint8Array(
          Buffer.from(
            `${m} ${p}\n${Object.entries(h)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n')}\n\n${b}`,
          ),
        ),
    ),
  maxBytes: 64 * 1024,
  // a token request for an unknown client runs a full-cost scrypt (by design): seconds on a loaded machine
  timeoutMs: 10_000,
  async setup() {
    const tmp = tempDir('http');
    const file = join(tmp.dir, 'db.sqlite');
    const repo = openSqliteRepository({ file });
    await importDirectory(repo);
    await repo.ingest({ rollups: decodeRollups(demoRollups()), deadLetters: [] });
    await new PcfService(repo).calculateAndStore('widget', {
      ...PERIOD,
      method: 'location',
      gwpSet: 'AR6',
      shareKey: 'units',
      overheadKey: 'units',
    });
    const config = apiConfig({
      clients: [
        { clientId: READER.id, secretHash: await hashSecret(READER.secret, CHEAP), scopes: ['pact', 'ops:read'] },
        {
          clientId: UPLOADER.id,
          secretHash: await hashSecret(UPLOADER.secret, CHEAP),
          scopes: ['ops:read', 'ops:write'],
        },
        { clientId: PARTNER.id, secretHash: await hashSecret(PARTNER.secret, CHEAP), scopes: ['pact'] },
        { clientId: ADMIN.id, secretHash: await hashSecret(ADMIN.secret, CHEAP), scopes: ['admin'] },
      ],
      pact: { companyName: 'Fuzz Co', companyIds: ['urn:pcf-edge:fuzz:company:x'], productCategoryCpc: {} },
      rateLimit: { perClient: 1_000_000, anonymous: 1_000_000, token: 1_000_000, windowMs: 60_000 },
      signingKeysFile: join(tmp.dir, 'signing-keys.json'),
      // tokens naming this issuer are looked up at an address nobody listens on: refused at once, never trusted
      oidc: { issuer: 'http://127.0.0.1:9', audience: 'fuzz' },
    });
    // event deliveries succeed at once (no network); run() waits for them so a 4xx is judged on a quiet database
    // (the requester's token endpoint and discovery get a token document, its events endpoint a 200)
    const delivered = async () =>
      new Response(JSON.stringify({ access_token: 'requester-token', expires_in: 600 }), { status: 200 });
    const app = createApiServer({ repo, config, log: silentLogger(), fetch: delivered as unknown as typeof fetch });
    const send = await transport(app);
    await app.security.addGrant({ clientId: READER.id, kind: 'companyId', value: 'urn:pcf-edge:fuzz:company:x' });
    await app.security.addGrant({ clientId: PARTNER.id, kind: 'product', value: 'widget' });
    await app.security.setClientEvents(PARTNER.id, {
      baseUrl: 'https://partner.example.test',
      authClientId: 'fuzz',
      authSecretRef: 'env:PATH',
    });
    const token = async (who: { id: string; secret: string }) => {
      const res = await send({
        method: 'POST',
        url: '/auth/token',
        headers: { authorization: basicOf(who), 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials',
      });
      if (res.statusCode !== 200) throw new InvariantError(`token request failed: ${res.statusCode} ${res.body}`);
      return (res.json() as { access_token: string }).access_token;
    };
    const tokens = {
      READ: await token(READER),
      UPLOAD: await token(UPLOADER),
      PARTNER: await token(PARTNER),
      ADMIN: await token(ADMIN),
      BASIC: basicOf(READER),
    };
    const watch = dataVersionWatch(file);
    return {
      async run(input) {
        const before = watch.version();
        const request = toRequest(input, tokens);
        const res = await send(request);
        await app.delivery.kick();
        if (res.statusCode >= 500) throw new InvariantError(`status ${res.statusCode}: ${res.body.slice(0, 300)}`);
        if (res.statusCode >= 400) {
          let body: { code?: unknown; message?: unknown; error?: unknown } = {};
          try {
            body = res.json() as typeof body;
          } catch {
            /* checked below */
          }
          const clear =
            (typeof body.code === 'string' && typeof body.message === 'string') || typeof body.error === 'string';
          if (!clear && request.method !== 'HEAD')
            throw new InvariantError(`status ${res.statusCode} without an error body: ${res.body.slice(0, 200)}`);
          if (watch.version() !== before) throw new InvariantError(`status ${res.statusCode} but the database changed`);
        }
      },
      async check() {
        const res = await send({
          method: 'GET',
          url: '/2/footprints',
          headers: { authorization: `Bearer ${tokens.READ}` },
        });
        if (res.statusCode !== 200) throw new InvariantError(`GET /2/footprints with a good token: ${res.statusCode}`);
      },
      async teardown() {
        await app.close();
        watch.close();
        await repo.close();
        tmp.remove();
      },
    };
  },
};

interface Response {
  statusCode: number;
  body: string;
  json(): unknown;
}

/**
 * `inject()` (no sockets) normally; under jest, whose module loader cannot load light-my-request's ESM dependency,
 * the same requests go over a real socket on 127.0.0.1.
 */
async function transport(app: FastifyInstance): Promise<(r: InjectOptions) => Promise<Response>> {
  if (process.env.JEST_WORKER_ID === undefined) {
    await app.ready();
    return async (r) => app.inject(r);
  }
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return async (r) => {
    const res = await fetch(`${base}${r.url as string}`, {
      method: r.method as string,
      headers: r.headers as Record<string, string>,
      ...(r.payload === undefined ? {} : { body: r.payload as string }),
    });
    const body = await res.text();
    return { statusCode: res.status, body, json: () => JSON.parse(body) as unknown };
  };
}

function basicOf(who: { id: string; secret: string }): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(who.id)}:${encodeURIComponent(who.secret)}`).toString('base64')}`;
}
