import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FilterError, matchesFilter, parseFilter } from '../pact/filter';
import type { ProductFootprint } from '../pact/types';
import type { CloudSinkRepository } from '../store/repository';
import { requireScope } from './auth';
import type { ApiConfig } from './config';
import { HttpError } from './errors';
import { validateEvent } from './events';
import type { TokenStore } from './tokens';

const MAX_LIMIT = 1000;
const SERVED_FOOTPRINTS = 10_000;
const DEFAULT_LIMIT = 100;

export function baseUrl(config: ApiConfig, req: FastifyRequest): string {
  return config.publicBaseUrl ?? `${req.protocol}://${req.host}`;
}

function intParam(name: string, raw: unknown, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new HttpError(400, 'BadRequest', `${name} must be an integer from ${min} to ${max}`);
  }
  return Number(raw);
}

function parseFilterParam(raw: unknown) {
  if (raw === undefined) return [];
  if (typeof raw !== 'string') throw new HttpError(400, 'BadRequest', '$filter must be given once');
  try {
    return parseFilter(raw);
  } catch (err) {
    if (err instanceof FilterError) throw new HttpError(400, 'BadRequest', `invalid $filter: ${err.message}`);
    throw err;
  }
}

export interface PactRouteDeps {
  repo: CloudSinkRepository;
  config: ApiConfig;
  tokens: TokenStore;
  onEvent: (event: Record<string, unknown>) => void;
}

/** PACT Data Exchange API v2: discovery, footprint listing (filter, paging), footprint by id, events. */
export function registerPactRoutes(app: FastifyInstance, deps: PactRouteDeps): void {
  const read = requireScope(deps.tokens, 'read');

  app.get('/.well-known/openid-configuration', (req) => {
    const base = baseUrl(deps.config, req);
    return {
      issuer: base,
      token_endpoint: `${base}/auth/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['read', 'upload'],
      response_types_supported: ['token'],
    };
  });

  app.get('/2/footprints', { preHandler: read }, async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Record<string, unknown>;
    const limit = intParam('limit', q.limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
    const offset = intParam('offset', q.offset, 0, 0, 1_000_000_000);
    const clauses = parseFilterParam(q.$filter);
    const all = (await deps.repo.listFootprints())
      .map((f) => f.doc as ProductFootprint)
      .filter((f) => matchesFilter(f, clauses));
    const page = all.slice(offset, offset + limit);
    if (offset + limit < all.length) {
      const next = new URLSearchParams({ limit: String(limit), offset: String(offset + limit) });
      if (typeof q.$filter === 'string') next.set('$filter', q.$filter);
      void reply.header('link', `<${baseUrl(deps.config, req)}/2/footprints?${next.toString()}>; rel="next"`);
    }
    return { data: page };
  });

  // Footprint versions are insert-only, so the served form of (id, version) never changes: it is kept (bounded) and
  // only the current version number is looked up per request. The ETag names the version (If-None-Match ⇒ 304).
  const served = new Map<string, { version: number; body: string; etag: string }>();
  app.get('/2/footprints/:id', { preHandler: read }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { id } = req.params as { id: string };
    const version = await deps.repo.getFootprintVersion(id);
    let hit = version === undefined ? undefined : served.get(id);
    if (version !== undefined && hit?.version !== version) {
      const found = await deps.repo.getFootprint(id);
      if (found) {
        hit = { version: found.version, body: JSON.stringify({ data: found.doc }), etag: `"v${found.version}"` };
        served.delete(id);
        served.set(id, hit);
        if (served.size > SERVED_FOOTPRINTS) served.delete(served.keys().next().value!);
      }
    }
    if (version === undefined || !hit)
      throw new HttpError(404, 'NoSuchFootprint', 'The specified footprint does not exist');
    void reply.header('etag', hit.etag).header('cache-control', 'private, no-cache');
    if (req.headers['if-none-match'] === hit.etag) return reply.status(304).send();
    return reply.type('application/json; charset=utf-8').send(hit.body);
  });

  app.post('/2/events', { preHandler: read }, async (req: FastifyRequest, reply: FastifyReply) => {
    const problem = validateEvent(req.body);
    if (problem) throw new HttpError(400, 'BadRequest', `invalid event: ${problem}`);
    deps.onEvent(req.body as Record<string, unknown>);
    return reply.status(200).send();
  });
}
