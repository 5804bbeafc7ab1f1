import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canonicalJson, chainHash } from '../audit/hash';
import { BASE_UNITS, GWP_SET_NAMES, UNIT_CATALOGUE } from '@pcf-edge/pcf-engine';
import { ALLOCATION_KEYS, type CalcOptions } from '@pcf-edge/pcf-engine';
import { referenceJsonSchema, referenceTemplate } from '../reference/formats';
import { importParsed, requiredColumns } from '../reference/import';
import { parseCsvText, parseJsonText } from '../reference/parse';
import { isReferenceKind, REFERENCE_KINDS } from '../reference/types';
import { auditBody, documentHashes, type PcfService } from '../service/pcf-service';
import { findStaleResults } from '../service/stale';
import type { CloudSinkRepository } from '../store/repository';
import { requireScope } from './auth';
import type { ApiConfig } from './config';
import { energyReport } from './energy';
import { HttpError } from './errors';
import { auditView, ordersView, productsView, resultsView } from './views';

export interface OpsRouteDeps {
  repo: CloudSinkRepository;
  pcf: PcfService;
  config: ApiConfig;
  published: () => Promise<unknown>;
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
 * Operational API under /api, for operators only (PACT partners never hold these scopes): reference upload and
 * stored calculations (ops:write), ad-hoc PCF, energy rollups, products, orders, results and audit (ops:read).
 */
export function registerOpsRoutes(app: FastifyInstance, deps: OpsRouteDeps): void {
  const read = requireScope('ops:read');
  const upload = requireScope('ops:write');
  const maxPeriodMs = deps.config.adHocMaxDays * 86_400_000;

  // Reference upload: CSV (text/csv) or JSON, parsed from the raw text by the same code as the CLI import.
  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['text/csv', 'application/json'],
      { parseAs: 'string', bodyLimit: deps.config.uploadLimitBytes },
      (_r, body, next) => next(null, body),
    );
    scope.post(
      '/api/reference/:kind',
      { preHandler: upload, bodyLimit: deps.config.uploadLimitBytes },
      async (req, reply) => {
        const { kind } = req.params as { kind: string };
        if (!isReferenceKind(kind))
          throw new HttpError(404, 'NotFound', `unknown reference kind (one of ${REFERENCE_KINDS.join(', ')})`);
        if (typeof req.body !== 'string' || req.body.length === 0)
          throw new HttpError(400, 'BadRequest', 'the body must be CSV (text/csv) or JSON (application/json)');
        const source = `api upload by ${req.principal!.clientId}`;
        const csv = (req.headers['content-type'] ?? '').startsWith('text/csv');
        const parsed = csv
          ? parseCsvText(kind, req.body, requiredColumns(kind), source)
          : parseJsonText(req.body, source);
        const r = await importParsed(deps.repo, kind, parsed, source);
        return reply.status(201).send(r);
      },
    );
    done();
  });

  app.post(
    '/api/pcf',
    { preHandler: read, schema: { body: PCF_BODY } },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const b = req.body as CalcOptions & { product: string; store: boolean };
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
      const { calc, loaded, doc, views } = await deps.pcf.calculateProduct(b.product, options);
      if (!b.store) {
        // a calculation is immutable and the audit view of one product in it deterministic: served once, kept with it
        let text = views.get(b.product);
        if (text === undefined) {
          const body = auditBody('ad-hoc', loaded, calc, b.product);
          text = JSON.stringify({
            stored: false,
            result: doc,
            audit: { derivation: body.derivation, inputs: body.inputs },
          });
          views.set(b.product, text);
        }
        return reply.type('application/json; charset=utf-8').send(text);
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
      await deps.published();
      return {
        stored: true,
        resultId,
        auditHash: audit.hash,
        result: doc,
        audit: { derivation: body.derivation, inputs: body.inputs },
      };
    },
  );

  // what a reference file must look like: a template to download and the JSON Schema of one item
  const kindOf = (req: FastifyRequest): Parameters<typeof referenceTemplate>[0] => {
    const { kind } = req.params as { kind: string };
    if (!isReferenceKind(kind))
      throw new HttpError(404, 'NotFound', `unknown reference kind (one of ${REFERENCE_KINDS.join(', ')})`);
    return kind;
  };
  app.get('/api/reference/:kind/schema', { preHandler: read }, (req, reply) =>
    reply.type('application/schema+json; charset=utf-8').send(JSON.stringify(referenceJsonSchema(kindOf(req)))),
  );
  app.get('/api/reference/:kind/template', { preHandler: read }, (req, reply) => {
    const t = referenceTemplate(kindOf(req));
    return reply.type(t.contentType).header('content-disposition', `attachment; filename="${t.fileName}"`).send(t.text);
  });
  app.get('/api/units', { preHandler: read }, () => ({ baseUnits: BASE_UNITS, units: UNIT_CATALOGUE }));
  app.get('/api/reference', { preHandler: read }, () => ({
    documentation: 'docs/reference-data.md',
    kinds: REFERENCE_KINDS.map((kind) => ({
      kind,
      template: `/api/reference/${kind}/template`,
      templateFile: referenceTemplate(kind).fileName,
      schema: `/api/reference/${kind}/schema`,
    })),
  }));

  app.get('/api/energy', { preHandler: read }, (req) => energyReport(deps.repo, req.query as Record<string, unknown>));
  app.get('/api/products', { preHandler: read }, () => productsView(deps.repo));
  app.get('/api/orders', { preHandler: read }, () => ordersView(deps.repo));
  app.get('/api/results', { preHandler: read }, () => resultsView(deps.repo));
  // results whose inputs changed since (ADR 0232), with the differences; the recomputation itself is not stored
  app.get('/api/results/stale', { preHandler: read }, async () => ({
    stale: (await findStaleResults(deps.repo)).map(({ current: _current, ...rest }) => rest),
  }));
  app.get('/api/results/:id/audit', { preHandler: read }, (req) =>
    auditView(deps.repo, (req.params as { id: string }).id),
  );
}
