import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FilterError } from '../pact/filter';
import { buildFootprintV3, v3UnavailableReason, type ProductFootprintV3 } from '../pact/footprint-v3';
import { matchesV3, parseV3Filters } from '../pact/filter-v3';
import { loadResultContext } from '../pact/inputs';
import type { CloudSinkRepository, StoredFootprint } from '../store/repository';
import { requireScope } from './auth';
import { HttpError } from './errors';
import { validateEventV3 } from './events';
import { baseUrl, footprintFor, intParam, visibleFootprints, type PactRouteDeps } from './pact-routes';

const MAX_VIEWS = 10_000;

/**
 * The v3 form of stored footprint versions, built once per (id, version) from the stored result and the product
 * data at the audit record's versions (both immutable) and kept, bounded. Undefined when a footprint has no v3
 * form (v3UnavailableReason).
 */
export function createV3Views(repo: CloudSinkRepository) {
  const views = new Map<string, Promise<ProductFootprintV3 | undefined>>();
  return (f: StoredFootprint): Promise<ProductFootprintV3 | undefined> => {
    const key = `${f.id}@${f.version}`;
    let hit = views.get(key);
    if (!hit) {
      hit = (async () => {
        const stored = await repo.getResult(f.resultId);
        const ctx = stored && (await loadResultContext(repo, stored));
        return ctx && !v3UnavailableReason(ctx) ? buildFootprintV3(f, ctx) : undefined;
      })();
      views.set(key, hit);
      hit.catch(() => views.delete(key));
      if (views.size > MAX_VIEWS) views.delete(views.keys().next().value!);
    }
    return hit;
  };
}
export type V3Views = ReturnType<typeof createV3Views>;

/** PACT Data Exchange API v3.0 beside v2: ListFootprints with the v3 filters, GetFootprint, Events. */
export function registerPactV3Routes(app: FastifyInstance, deps: PactRouteDeps & { v3: V3Views }): void {
  const pact = requireScope('pact');

  app.get('/3/footprints', { preHandler: pact }, async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Record<string, unknown>;
    const limit = intParam('limit', q.limit, 100, 1, 1000);
    const offset = intParam('offset', q.offset, 0, 0, 1_000_000_000);
    let filters;
    try {
      filters = parseV3Filters(q, ['limit', 'offset']);
    } catch (err) {
      if (err instanceof FilterError) throw new HttpError(400, 'BadRequest', err.message);
      throw err;
    }
    const all: ProductFootprintV3[] = [];
    for (const f of await visibleFootprints(deps, req.principal!.clientId)) {
      const v = await deps.v3(f);
      if (v && matchesV3(v, filters)) all.push(v);
    }
    if (offset + limit < all.length) {
      const next = new URLSearchParams();
      for (const [k, v] of Object.entries(q))
        if (k !== 'limit' && k !== 'offset') for (const x of Array.isArray(v) ? v : [v]) next.append(k, String(x));
      next.set('limit', String(limit));
      next.set('offset', String(offset + limit));
      void reply.header('link', `<${baseUrl(deps.config)}/3/footprints?${next.toString()}>; rel="next"`);
    }
    return { data: all.slice(offset, offset + limit) };
  });

  app.get('/3/footprints/:id', { preHandler: pact }, async (req: FastifyRequest) => {
    const found = await footprintFor(deps, req.principal!.clientId, (req.params as { id: string }).id, 'NotFound');
    const v = await deps.v3(found);
    if (!v) throw new HttpError(404, 'NotFound', 'the footprint has no PACT v3 form (see the product data)');
    return { data: v };
  });

  app.post('/3/events', { preHandler: pact }, async (req: FastifyRequest, reply: FastifyReply) => {
    const problem = validateEventV3(req.body);
    if (problem) throw new HttpError(400, 'BadRequest', `invalid event: ${problem}`);
    await deps.events.receive(3, req.principal!.clientId, req.body as Record<string, unknown>);
    return reply.status(200).send();
  });
}
