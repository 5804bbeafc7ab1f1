import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRollups } from '../src/ingest/quantities';
import { silentLogger, type Logger } from '@pcf-edge/core';
import { apiConfig, type ApiConfig } from '../src/api/config';
import { hashSecret } from '../src/api/secrets';
import { createApiServer } from '../src/api/server';
import type { CalcOptions } from '@pcf-edge/pcf-engine';
import { importDirectory } from '../src/service/demo';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import type { CloudSinkRepository } from '../src/store/repository';
import { tempDb } from './helpers';
import { openPgInFreshSchema } from './pg-support';
import { openApiResponseProblems } from './pact-openapi';

/** An operator's client that also reads every demo footprint over PACT (granted all three products). */
export const READER = { id: 'reader', secret: 'reader-secret-Zq9' };
export const UPLOADER = { id: 'uploader', secret: 'uploader-secret-Xk4' };
/** A PACT partner: scope `pact` only, granted the widget's footprints. */
export const PARTNER = { id: 'partner', secret: 'partner-secret-Pw7' };
export const ADMIN = { id: 'admin', secret: 'admin-secret-Ad3' };
export const PUBLIC_BASE = 'https://pcf.example.test';
export const DEMO_PERIOD = { periodStart: '2026-11-02T06:00:00.000Z', periodEnd: '2026-11-02T10:00:00.000Z' };

/** Imports the demo factory and stores results for every demo product, location- and market-based (AR6). */
export async function loadDemo(repo: CloudSinkRepository): Promise<void> {
  await importDirectory(repo);
  await repo.ingest({ rollups: decodeRollups(demoRollups()), deadLetters: [] });
  for (const method of ['location', 'market'] as const) {
    for (const product of ['steel-sheet', 'housing', 'widget']) {
      const o: CalcOptions = { ...DEMO_PERIOD, method, gwpSet: 'AR6', shareKey: 'units', overheadKey: 'units' };
      await new PcfService(repo).calculateAndStore(product, o);
    }
  }
}

/** One signing-key file per test process (keys are the only thing besides the database instances share). */
export const TEST_KEYS_FILE = join(mkdtempSync(join(tmpdir(), 'cloud-sink-keys-')), 'signing-keys.json');

export async function testConfig(extra: Record<string, unknown> = {}): Promise<ApiConfig> {
  return apiConfig({
    clients: [
      { clientId: READER.id, secretHash: await hashSecret(READER.secret), scopes: ['ops:read', 'pact'] },
      {
        clientId: UPLOADER.id,
        secretHash: await hashSecret(UPLOADER.secret),
        scopes: ['ops:read', 'ops:write', 'pact'],
      },
      { clientId: PARTNER.id, secretHash: await hashSecret(PARTNER.secret), scopes: ['pact'] },
      { clientId: ADMIN.id, secretHash: await hashSecret(ADMIN.secret), scopes: ['admin'] },
    ],
    signingKeysFile: TEST_KEYS_FILE,
    publicBaseUrl: PUBLIC_BASE,
    pact: {
      companyName: 'Demo Co',
      companyIds: ['urn:pcf-edge:demo:company:demo-co'],
      productCategoryCpc: { widget: '4321' },
    },
    ...extra,
  });
}

type ApiApp = ReturnType<typeof createApiServer>;

/**
 * Validates every response the app sends on a PACT route (`/2/…`, `/3/…`) against the PACT OpenAPI description of
 * its version (path, method and status) and returns the list the problems are added to. 304 (If-None-Match) and 429
 * (rate limit) are left out: HTTP caching and rate limiting are outside the PACT descriptions. Call before the app is
 * ready.
 */
export function checkPactResponses(app: ApiApp): string[] {
  const found: string[] = [];
  app.addHook('onSend', async (req, reply, payload) => {
    const route = req.routeOptions.url;
    const version = route?.startsWith('/2/') ? 2 : route?.startsWith('/3/') ? 3 : undefined;
    const method = req.method === 'GET' ? 'get' : req.method === 'POST' ? 'post' : undefined;
    if (!version || !method || !route || [304, 429].includes(reply.statusCode)) return payload;
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    const path = route.replace(/:(\w+)/g, '{$1}');
    for (const p of openApiResponseProblems(version, method, path, reply.statusCode, body))
      found.push(`${req.method} ${req.url} ${reply.statusCode}: ${p}`);
    return payload;
  });
  return found;
}

/** Throws naming every PACT response that did not match its OpenAPI description. */
export function assertPactResponsesValid(found: string[]): void {
  if (found.length > 0) throw new Error(`PACT responses not valid by the PACT OpenAPI:\n${found.join('\n')}`);
}

export interface RunningApi {
  app: ReturnType<typeof createApiServer>;
  url: string;
  db: { repo: CloudSinkRepository };
  /** Every PACT response so far that did not validate against its OpenAPI description (close() throws on any). */
  pactProblems: string[];
  token(who?: { id: string; secret: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real server on 127.0.0.1 (port 0) over a temp SQLite file, or over a fresh PostgreSQL schema when `pgUrl` is
 * given; `demo` loads the demo factory and its results first.
 */
export async function startApi(
  options: {
    demo?: boolean;
    config?: Record<string, unknown>;
    log?: Logger;
    now?: () => number;
    pgUrl?: string;
    fetch?: typeof fetch;
  } = {},
): Promise<RunningApi> {
  const db: { repo: CloudSinkRepository; cleanup(): Promise<void> } = options.pgUrl
    ? await openPgInFreshSchema(options.pgUrl).then((pg) => ({ repo: pg.repo, cleanup: pg.dispose }))
    : tempDb();
  if (options.demo !== false) await loadDemo(db.repo);
  const app = createApiServer({
    repo: db.repo,
    config: await testConfig(options.config),
    log: options.log ?? silentLogger(),
    ...(options.now ? { now: options.now } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const pactProblems = checkPactResponses(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  for (const product of ['steel-sheet', 'housing', 'widget'])
    await app.security.addGrant({ clientId: READER.id, kind: 'product', value: product });
  await app.security.addGrant({ clientId: UPLOADER.id, kind: 'companyId', value: 'urn:pcf-edge:demo:company:demo-co' });
  await app.security.addGrant({ clientId: PARTNER.id, kind: 'product', value: 'widget' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app,
    url,
    db,
    pactProblems,
    token: async (who = READER) => {
      const res = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { authorization: basic(who.id, who.secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    close: async () => {
      await app.close();
      await db.cleanup();
      assertPactResponsesValid(pactProblems);
    },
  };
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
