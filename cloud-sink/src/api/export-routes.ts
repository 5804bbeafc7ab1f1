import type { FastifyInstance, FastifyReply } from 'fastify';
import { findStaleResults } from '../service/stale';
import type { CloudSinkRepository } from '../store/repository';
import { requireScope } from './auth';
import { energyCsv, resultsCsv } from './csv-export';
import { energyReport } from './energy';
import { optionalMonth } from './period';
import { resultsView } from './views';

/** A CSV download: `text/csv` (RFC 4180, `header=present`) as an attachment named `name`. */
const sendCsv = (reply: FastifyReply, name: string, text: string) =>
  reply
    .type('text/csv; charset=utf-8; header=present')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'no-store')
    .send(text);

/**
 * CSV exports (ops:read): `GET /api/export/results.csv[?month=YYYY-MM]` — stored product results with stale marks
 * and their footprints; `GET /api/export/energy.csv[?month=YYYY-MM | ?from&to][&line=]` — line energy per window,
 * the same windows as `GET /api/energy`.
 */
export function registerExportRoutes(app: FastifyInstance, deps: { repo: CloudSinkRepository }): void {
  const read = requireScope('ops:read');
  app.get('/api/export/results.csv', { preHandler: read }, async (req, reply) => {
    const month = optionalMonth(req.query as Record<string, unknown>);
    const { results } = await resultsView(deps.repo, month);
    const stale = new Set((await findStaleResults(deps.repo)).map((s) => s.resultId));
    return sendCsv(reply, `pcf-results${month ? `-${month.month}` : ''}.csv`, resultsCsv(results, stale));
  });
  app.get('/api/export/energy.csv', { preHandler: read }, async (req, reply) => {
    const report = await energyReport(deps.repo, req.query as Record<string, unknown>);
    const name = `line-energy-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv`;
    return sendCsv(reply, name, energyCsv(report));
  });
}
