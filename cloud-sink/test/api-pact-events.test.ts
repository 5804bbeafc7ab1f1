/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are inspected loosely */
import { createServer, type Server } from 'node:http';
import type { ProductFootprint } from '../src/pact/types';
import { ADMIN, PARTNER, READER, startApi, type RunningApi } from './api-helpers';
import { openApiResponseProblems, openApiSchemaProblems } from './pact-openapi';

const WIDGET = 'urn:pcf-edge:demo:product:widget';
const SECRET_ENV = 'PCF_EDGE_TEST_REQUESTER_SECRET';

/**
 * A data recipient's PACT host: its own token endpoint (client credentials, Basic) and Action Events endpoint,
 * recording every event it accepts; `failNext` answers the next n event posts with 503.
 */
async function startRequester() {
  const events: { path: string; auth: string | undefined; contentType: string | undefined; body: any }[] = [];
  const state = { failNext: 0, tokens: 0 };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (req.url === '/auth/token') {
        const ok = req.headers.authorization === `Basic ${Buffer.from('pcf-edge:requester-secret').toString('base64')}`;
        state.tokens++;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify(
            ok
              ? { access_token: 'requester-token', token_type: 'bearer', expires_in: 600 }
              : { error: 'invalid_client' },
          ),
        );
      }
      if (req.url === '/2/events' || req.url === '/3/events') {
        if (req.headers.authorization !== 'Bearer requester-token') return res.writeHead(400).end();
        if (state.failNext > 0) {
          state.failNext--;
          return res.writeHead(503).end();
        }
        events.push({
          path: req.url,
          auth: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: JSON.parse(text),
        });
        return res.writeHead(200).end();
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, events, state, close: () => new Promise((r) => server.close(r)) };
}

describe('PACT events, both directions', () => {
  let api: RunningApi;
  let requester: Awaited<ReturnType<typeof startRequester>>;
  let partner: string;
  beforeAll(async () => {
    process.env[SECRET_ENV] = 'requester-secret';
    requester = await startRequester();
    api = await startApi({ config: { events: { initialBackoffMs: 100, maxBackoffMs: 200, pollIntervalMs: 50 } } });
    partner = await api.token(PARTNER);
    const admin = await api.token(ADMIN);
    const res = await fetch(`${api.url}/api/admin/clients/partner/events`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baseUrl: requester.url, authClientId: 'pcf-edge', authSecretRef: `env:${SECRET_ENV}` }),
    });
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await requester.close();
  });

  const post = (body: unknown, token = partner, path = '/2/events') =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents+json; charset=UTF-8' },
      body: JSON.stringify(body),
    });
  const created = (id: string, productIds: string[], source = requester.url) => ({
    specversion: '1.0',
    id,
    source,
    time: new Date().toISOString(),
    type: 'org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1',
    data: { pf: { productIds }, comment: 'Please send PCF data for this year.' },
  });
  const answerTo = async (requestId: string) => {
    for (let i = 0; i < 100; i++) {
      const hit = requester.events.find((e) => e.body.data?.requestEventId === requestId);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no answer to ${requestId}`);
  };

  it('fulfils a RequestCreated asynchronously at the requester, with its own token (conformance 12, 13)', async () => {
    const res = await post(created('run-1/12', [WIDGET]));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({}); // the v2.3 OpenAPI: a JSON object with optional code and message
    const answer = await answerTo('run-1/12');
    expect(answer).toMatchObject({
      path: '/2/events',
      auth: 'Bearer requester-token',
      contentType: 'application/cloudevents+json; charset=UTF-8',
    });
    expect(answer.body.type).toBe('org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1');
    expect(openApiSchemaProblems(2, 'RequestFulfilledEvent', answer.body)).toEqual([]);
    const pfs = answer.body.data.pfs as ProductFootprint[];
    expect(pfs.length).toBeGreaterThan(0);
    expect(pfs.every((f) => f.productIds.includes(WIDGET) && f.status === 'Active')).toBe(true);
    const deliveries = await api.app.security.listDeliveries('partner');
    expect(deliveries.find((d) => d.id === answer.body.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('rejects a request for an unknown product with a PACT error code (conformance 14)', async () => {
    expect((await post(created('run-1/14.A', ['urn:pact:null']))).status).toBe(200);
    const answer = await answerTo('run-1/14.A');
    expect(answer.body).toMatchObject({
      type: 'org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1',
      data: { requestEventId: 'run-1/14.A', error: { code: 'NotFound', message: expect.any(String) } },
    });
    expect(openApiSchemaProblems(2, 'RequestRejectedEvent', answer.body)).toEqual([]);
  });

  it('rejects with AccessDenied what exists but is not shared, and never sends footprints the requester may not see', async () => {
    expect((await post(created('run-1/denied', ['urn:pcf-edge:demo:product:housing']))).status).toBe(200);
    expect((await answerTo('run-1/denied')).body.data.error.code).toBe('AccessDenied');
  });

  it('refuses a request whose source is not the requester, and one from a client without an events endpoint', async () => {
    const foreign = await post(created('run-1/x', [WIDGET], 'https://attacker.example'));
    expect(foreign.status).toBe(400);
    const body = await foreign.json();
    expect(body).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('source') });
    expect(openApiResponseProblems(2, 'post', '/2/events', 400, body)).toEqual([]);
    const reader = await api.token(READER);
    expect((await post(created('run-1/y', [WIDGET]), reader)).status).toBe(400);
  });

  it('retries an undelivered answer with backoff and records every attempt', async () => {
    requester.state.failNext = 2;
    expect((await post(created('run-1/retry', [WIDGET]))).status).toBe(200);
    const answer = await answerTo('run-1/retry');
    const d = (await api.app.security.listDeliveries('partner')).find((x) => x.id === answer.body.id)!;
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, lastError: 'events endpoint answered 503' });
  });

  it('acknowledges a repeated request id once, and accepts Published and malformed events as PACT says (15, 21)', async () => {
    const before = requester.events.length;
    expect((await post(created('run-1/12', [WIDGET]))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(requester.events.length).toBe(before);
    const published = {
      type: 'org.wbcsd.pathfinder.ProductFootprint.Published.v1',
      specversion: '1.0',
      id: 'pub-1',
      source: requester.url,
      time: new Date().toISOString(),
      data: { pfIds: ['3a6c14a7-4deb-498a-b5ea-16ce2535b576'] },
    };
    expect((await post(published)).status).toBe(200);
    const malformed = await post({ ...published, id: 'pub-2', data: { pfIds: ['urn:gtin:4712345060507'] } });
    expect(malformed.status).toBe(400);
  });

  it('notifies every client that may see a new footprint version with a Published event', async () => {
    const rows = (await api.db.repo.listFootprints()).filter((f) => f.status === 'Active');
    expect(await api.app.events.footprintsPublished(rows)).toBe(1); // only the partner has an events endpoint
    let event: any;
    for (let i = 0; i < 100 && !event; i++) {
      event = requester.events.find((e) => e.body.type === 'org.wbcsd.pathfinder.ProductFootprint.Published.v1');
      if (!event) await new Promise((r) => setTimeout(r, 50));
    }
    expect(openApiSchemaProblems(2, 'PublishedEvent', event.body)).toEqual([]);
    const widgetIds = rows.filter((f) => (f.doc as ProductFootprint).productIds.includes(WIDGET)).map((f) => f.id);
    expect([...event.body.data.pfIds].sort()).toEqual([...new Set(widgetIds)].sort());
  });

  it('answers v3 requests at the v3 path with v3 footprints', async () => {
    const res = await post(
      {
        specversion: '1.0',
        id: 'v3-1',
        source: `${requester.url}/3/events`,
        time: new Date().toISOString(),
        type: 'org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3',
        data: { productId: [WIDGET], status: 'Active' },
      },
      partner,
      '/3/events',
    );
    expect(res.status).toBe(200);
    const answer = await answerTo('v3-1');
    expect(answer.path).toBe('/3/events');
    expect(answer.body.type).toBe('org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3');
    expect(openApiSchemaProblems(3, 'RequestFulfilledEvent', answer.body)).toEqual([]);
    expect(answer.body.data.pfs[0].pcf.declaredUnitOfMeasurement).toBe('piece');
  });
});
