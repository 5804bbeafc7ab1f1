import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isPcfError } from '@pcf-edge/core';
import { BASE_UNITS, UNIT_CATALOGUE } from '@pcf-edge/pcf-engine';
import { referenceJsonSchema, referenceTemplate } from '../reference/formats';
import { importParsed, requiredColumns } from '../reference/import';
import { parseCsvText, parseJsonText, type ParsedInput, type RowError } from '../reference/parse';
import { previewParsed, type ReferencePreview } from '../reference/preview';
import { isReferenceKind, REFERENCE_KINDS, type ReferenceKind } from '../reference/types';
import type { CloudSinkRepository } from '../store/repository';
import { requireScope } from './auth';
import type { ApiConfig } from './config';
import { HttpError } from './errors';

const kindOf = (req: FastifyRequest): ReferenceKind => {
  const { kind } = req.params as { kind: string };
  if (!isReferenceKind(kind))
    throw new HttpError(404, 'NotFound', `unknown reference kind '${kind}' (one of ${REFERENCE_KINDS.join(', ')})`);
  return kind;
};

/** The upload body parsed by the same code as the CLI import (CSV by content type, else JSON). */
function parsedBody(req: FastifyRequest, kind: ReferenceKind, source: string): ParsedInput {
  if (typeof req.body !== 'string' || req.body.trim().length === 0)
    throw new HttpError(
      400,
      'BadRequest',
      'the body is empty: send the file as CSV (content-type text/csv) or JSON (application/json)',
    );
  return (req.headers['content-type'] ?? '').startsWith('text/csv')
    ? parseCsvText(kind, req.body, requiredColumns(kind), source)
    : parseJsonText(req.body, source);
}

/**
 * Reference data over HTTP: upload (`POST /api/reference/:kind`, imports at once, 201 with the version) and its
 * validate-only preview (`POST /api/reference/:kind/preview`, 200, writes nothing), both ops:write; templates,
 * JSON Schemas, the unit catalogue and the list of kinds (ops:read).
 */
export function registerReferenceRoutes(
  app: FastifyInstance,
  deps: { repo: CloudSinkRepository; config: ApiConfig },
): void {
  const read = requireScope('ops:read');
  const write = requireScope('ops:write');
  const limit = deps.config.uploadLimitBytes;

  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['text/csv', 'application/json'],
      { parseAs: 'string', bodyLimit: limit },
      (_r, body, next) => next(null, body),
    );
    scope.post('/api/reference/:kind', { preHandler: write, bodyLimit: limit }, async (req, reply) => {
      const kind = kindOf(req);
      const source = `api upload by ${req.principal!.clientId}`;
      const r = await importParsed(deps.repo, kind, parsedBody(req, kind, source), source);
      return reply.status(201).send(r);
    });
    scope.post('/api/reference/:kind/preview', { preHandler: write, bodyLimit: limit }, async (req) => {
      const kind = kindOf(req);
      const source = `api preview by ${req.principal!.clientId}`;
      try {
        return await previewParsed(deps.repo, kind, parsedBody(req, kind, source));
      } catch (err) {
        // a file that cannot be read at all (not CSV, not JSON) is the preview's answer too, not a failure of it
        if (!isPcfError(err) || err.code !== 'ERR_REFERENCE_INVALID') throw err;
        const errors = (err.details as { errors?: RowError[] }).errors ?? [];
        return unreadable(kind, await deps.repo.latestReferenceVersion(), errors);
      }
    });
    done();
  });

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
      preview: `/api/reference/${kind}/preview`,
    })),
  }));
}

function unreadable(kind: ReferenceKind, currentVersion: number, errors: RowError[]): ReferencePreview {
  return { kind, currentVersion, valid: false, added: [], changed: [], unchanged: [], kept: [], errors };
}
