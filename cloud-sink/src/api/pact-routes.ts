import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FilterError, matchesFilter, parseFilter } from '../pact/filter';
import type { PactEventService } from '../pact/event-service';
import type { ProductFootprint } from '../pact/types';
import type { CloudSinkRepository, StoredFootprint } from '../store/repository';
import { requireScope } from './auth';
import type { ApiConfig } from './config';
import { HttpError } from './errors';
import { validateEvent } from './events';
import { footprintKeys, granted, type GrantCache } from './visibility';

const MAX_LIMIT = 1000;
const SERVED_FOOTPRINTS = 10_000;
const DEFAULT_LIMIT = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Base of the absolute URLs the API advertises: the configured public base URL, never the request's Host header
 * (serve always configures one; without it links are relative).
 */
export function baseUrl(config: ApiConfig): string {
  return config.publicBaseUrl ?? '';
}

export function intParam(name: string, raw: unknown, fallback: number, min: number, max: number): number {
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
  grants: GrantCache;
  events: PactEventService;
}

/** The latest version of every footprint the requesting client has been granted. */
export async function visibleFootprints(deps: PactRouteDeps, clientId: string): Promise<StoredFootprint[]> {
  const grants = await deps.grants.grantsFor(clientId);
  if (grants.length === 0) return [];
  return (await deps.repo.listFootprints()).filter((f) => granted(grants, footprintKeys(f)));
}

/**
 * One footprint by id for a client: 404 (`notFound` code) when no such id, 403 AccessDenied when it exists but is
 * not granted to the client (PACT v2 §8.7.2, v3 GetFootprint).
 */
export async function footprintFor(
  deps: PactRouteDeps,
  clientId: string,
  id: string,
  notFound: string,
): Promise<StoredFootprint> {
  const found = UUID.test(id) ? await deps.repo.getFootprint(id) : undefined;
  if (!found) throw new HttpError(404, notFound, 'The specified footprint does not exist');
  if (!granted(await deps.grants.grantsFor(clientId), footprintKeys(found)))
    throw new HttpError(403, 'AccessDenied', 'the footprint is not shared with this client');
  return found;
}

/** PACT Data Exchange API v2: discovery, footprint listing (filter, paging), footprint by id, events. */
export function registerPactRoutes(app: FastifyInstance, deps: PactRouteDeps): void {
  const pact = requireScope('pact');

  app.get('/2/footprints', { preHandler: pact }, async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Record<string, unknown>;
    const limit = intParam('limit', q.limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
    const offset = intParam('offset', q.offset, 0, 0, 1_000_000_000);
    const clauses = parseFilterParam(q.$filter);
    const all = (await visibleFootprints(deps, req.principal!.clientId))
      .map((f) => f.doc as ProductFootprint)
      .filter((f) => matchesFilter(f, clauses));
    const page = all.slice(offset, offset + limit);
    if (offset + limit < all.length) {
      const next = new URLSearchParams({ limit: String(limit), offset: String(offset + limit) });
      if (typeof q.$filter === 'string') next.set('$filter', q.$filter);
      void reply.header('link', `<${baseUrl(deps.config)}/2/footprints?${next.toString()}>; rel="next"`);
    }
    return { data: page };
  });

  // Footprint versions are insert-only, so the served form of (id, version) never changes: it is kept (bounded).
  // The ETag names the version (If-None-Match ⇒ 304).
  const served = new Map<string, { version: number; body: string; etag: string }>();
  app.get('/2/footprints/:id', { preHandler: pact }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { id } = req.params as { id: string };
    const found = await footprintFor(deps, req.principal!.clientId, id, 'NoSuchFootprint');
    let hit = served.get(id);
    if (hit?.version !== found.version) {
      hit = { version: found.version, body: JSON.stringify({ data: found.doc }), etag: `"v${found.version}"` };
      served.delete(id);
      served.set(id, hit);
      if (served.size > SERVED_FOOTPRINTS) served.delete(served.keys().next().value!);
    }
    void reply.header('etag', hit.etag).header('cache-control', 'private, no-cache');
    if (req.headers['if-none-match'] === hit.etag) return reply.status(304).send();
    return reply.type('application/json; charset=utf-8').send(hit.body);
  });

  app.post('/2/events', { preHandler: pact }, async (req: FastifyRequest, reply: FastifyReply) => {
    const problem = validateEvent(req.body);
    if (problem) throw new HttpError(400, 'BadRequest', `invalid event: ${problem}`);
    await deps.events.receive(2, req.principal!.clientId, req.body as Record<string, unknown>);
    // the v2.3 OpenAPI describes the 200 answer as a JSON object with optional code and message: an empty one
    return reply.status(200).send({});
  });
}
