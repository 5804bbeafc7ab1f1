import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canonicalJson, chainHash } from '../audit/hash';
import { ALLOCATION_KEYS, GWP_SET_NAMES, type CalcOptions } from '@pcf-edge/pcf-engine';
import { auditBody, auditInputs, documentHashes, type PcfService } from '../service/pcf-service';
import { findStaleResults } from '../service/stale';
import type { PublishReport } from '../pact/publish';
import type { CloudSinkRepository } from '../store/repository';
import { requireScope } from './auth';
import type { ApiConfig } from './config';
import { energyReport } from './energy';
import { HttpError } from './errors';
import { optionalMonth } from './period';
import { auditView, ordersView, productsView, resultsView } from './views';

export interface OpsRouteDeps {
  repo: CloudSinkRepository;
  pcf: PcfService;
  config: ApiConfig;
  /** Publishes stored results as PACT footprints (ADR 0232's publisher); undefined when the run failed (logged). */
  published: () => Promise<PublishReport | undefined>;
  now: () => number;
}

const PCF_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['product', 'periodStart', 'periodEnd'],
  properties: {
    product: { type: 'string', minLength: 1, maxLength: 200 },
    periodStart: { type: 'string', format: 'date-time' },
    periodEnd: { type: 'string', format: 'date-time' },
    method: { enum: ['location', 'market'], default: 'location' },
    gwpSet: { enum: [...GWP_SET_NAMES], default: 'AR6' },
    shareKey: { enum: ALLOCATION_KEYS, default: 'units' },
    overheadKey: { enum: ALLOCATION_KEYS, default: 'units' },
    windowMs: { type: 'integer', minimum: 1000 },
    store: { type: 'boolean', default: false },
  },
};

/**
 * `?audit=` of POST /api/pcf (ADR 0251): `derivation` (default) answers an unstored calculation with its result and
 * derivation tree; `full` adds the audit view's inputs (reference entities with their hashes, lines, sites, series,
 * every rollup read). A stored calculation is always answered in full. Other query parameters are ignored.
 */
const PCF_QUERY = {
  type: 'object',
  properties: { audit: { enum: ['derivation', 'full'], default: 'derivation' } },
};

/**
 * Operational API under /api, for operators only (PACT partners never hold these scopes): stored calculations
 * (ops:write), ad-hoc PCF, energy rollups, products, orders, results and audit (ops:read). `?month=YYYY-MM` limits
 * energy and results to a calendar month (UTC). Reference data: reference-routes.ts; CSV exports: export-routes.ts.
 */
export function registerOpsRoutes(app: FastifyInstance, deps: OpsRouteDeps): void {
  const read = requireScope('ops:read');
  const maxPeriodMs = deps.config.adHocMaxDays * 86_400_000;

  app.post(
    '/api/pcf',
    { preHandler: read, schema: { body: PCF_BODY, querystring: PCF_QUERY } },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const b = req.body as CalcOptions & { product: string; store: boolean };
      const full = b.store || (req.query as { audit: 'derivation' | 'full' }).audit === 'full';
      if (b.store && !req.principal!.scopes.includes('ops:write'))
        throw new HttpError(403, 'AccessDenied', "storing a result needs the 'ops:write' scope");
      const spanMs = Date.parse(b.periodEnd) - Date.parse(b.periodStart);
      if (!(spanMs > 0) || spanMs > maxPeriodMs)
        throw new HttpError(
          400,
          'BadRequest',
          `periodEnd must be after periodStart and the period at most ${deps.config.adHocMaxDays} days long (the ad-hoc cap)`,
        );
      const options: CalcOptions = {
        periodStart: new Date(b.periodStart).toISOString(),
        periodEnd: new Date(b.periodEnd).toISOString(),
        method: b.method,
        gwpSet: b.gwpSet,
        shareKey: b.shareKey,
        overheadKey: b.overheadKey,
        ...(b.windowMs !== undefined ? { windowMs: b.windowMs } : {}),
      };
      // the inputs need every rollup read listed; the derivation alone does not
      const { calc, loaded, doc, views } = await deps.pcf.calculateProduct(
        b.product,
        options,
        undefined,
        full ? 'audit' : 'doc',
      );
      if (!b.store) {
        // a calculation is immutable and the audit view of one product in it deterministic: served once, kept with it
        const key = `${b.product}|${full ? 'full' : 'derivation'}`;
        let view = views.get(key);
        if (view === undefined) {
          const derivation = calc.product(b.product).trace();
          // encoded once here: the answer holds non-ASCII (÷, Σ), which the socket would otherwise encode per send
          view = Buffer.from(
            JSON.stringify({
              stored: false,
              result: doc,
              audit: full ? { derivation, inputs: auditInputs(loaded, calc) } : { derivation },
            }),
          );
          views.set(key, view);
        }
        return reply.type('application/json; charset=utf-8').send(view);
      }
      const resultId = crypto.randomUUID();
      const body = auditBody(resultId, loaded, calc, b.product, await documentHashes(deps.repo, loaded));
      const audit = await deps.repo.appendResult(
        {
          id: resultId,
          kind: 'product',
          subject: b.product,
          periodStart: options.periodStart,
          periodEnd: options.periodEnd,
          method: options.method,
          gwpSet: options.gwpSet,
          result: body.result,
          createdAtMs: deps.now(),
        },
        canonicalJson(body),
        chainHash,
      );
      const report = await deps.published();
      return {
        stored: true,
        resultId,
        auditHash: audit.hash,
        ...(await publication(deps.repo, resultId, report)),
        result: doc,
        audit: { derivation: body.derivation, inputs: body.inputs },
      };
    },
  );

  app.get('/api/energy', { preHandler: read }, (req) => energyReport(deps.repo, req.query as Record<string, unknown>));
  app.get('/api/products', { preHandler: read }, () => productsView(deps.repo));
  app.get('/api/orders', { preHandler: read }, () => ordersView(deps.repo));
  app.get('/api/results', { preHandler: read }, (req) =>
    resultsView(deps.repo, optionalMonth(req.query as Record<string, unknown>)),
  );
  // results whose inputs changed since (ADR 0232), with the differences; the recomputation itself is not stored
  app.get('/api/results/stale', { preHandler: read }, async () => ({
    stale: (await findStaleResults(deps.repo)).map(({ current: _current, ...rest }) => rest),
  }));
  app.get('/api/results/:id/audit', { preHandler: read }, (req) =>
    auditView(deps.repo, (req.params as { id: string }).id),
  );
}

/**
 * What publishing a just-stored result produced: the footprint versions built from it (a new id at version 1, or
 * the next version of the Active one; a major change also writes the old id's Deprecated version), or why none was.
 */
async function publication(repo: CloudSinkRepository, resultId: string, report: PublishReport | undefined) {
  const footprints = (await repo.listFootprintVersions())
    .filter((f) => f.resultId === resultId)
    .map((f) => ({ id: f.id, version: f.version, status: f.status }));
  const skipped = report?.skipped.find((s) => s.resultId === resultId);
  const footprint = footprints.find((f) => f.status === 'Active') ?? null;
  return {
    footprint,
    footprints,
    ...(footprint ? {} : { notPublished: skipped?.reason ?? 'publishing failed (see the server log)' }),
  };
}
