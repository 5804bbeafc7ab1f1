import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, PcfError, validateConfig, type Logger } from '@pcf-edge/core';
import { ALLOCATION_KEYS, GWP_SET_NAMES, type CalcOptions } from '@pcf-edge/pcf-engine';
import { createFootprintPublisher } from '../pact/publish';
import { publishedAnnouncer } from '../pact/published-events';
import {
  previousMonth,
  recomputePeriod,
  type PeriodProductOutcome,
  type PeriodRunReport,
} from '../service/period-batch';
import { PcfService } from '../service/pcf-service';
import { readApiSettings } from './api-settings';
import { databaseSettingsFromEnv, openDatabase } from './database';
import type { SecretsClient } from './secrets';

/**
 * The scheduled rule's input (or a manual invocation's payload). `period: "previousMonth"` is the calendar month
 * (UTC) before the invocation; `periodStart` and `periodEnd` (both) name any other period.
 */
export interface RecomputeRequest {
  period?: 'previousMonth';
  periodStart?: string;
  periodEnd?: string;
  method: CalcOptions['method'];
  gwpSet: CalcOptions['gwpSet'];
  shareKey: CalcOptions['shareKey'];
  overheadKey: CalcOptions['overheadKey'];
}

export const RECOMPUTE_REQUEST_SCHEMA = {
  type: 'object',
  // EventBridge scheduled events carry their own fields (id, detail-type, …) when no input is configured
  additionalProperties: true,
  properties: {
    period: { enum: ['previousMonth'], default: 'previousMonth' },
    periodStart: { type: 'string', format: 'date-time' },
    periodEnd: { type: 'string', format: 'date-time' },
    method: { enum: ['location', 'market'], default: 'location' },
    gwpSet: { enum: [...GWP_SET_NAMES], default: 'AR6' },
    shareKey: { enum: ALLOCATION_KEYS, default: 'units' },
    overheadKey: { enum: ALLOCATION_KEYS, default: 'units' },
  },
  dependencies: { periodStart: ['periodEnd'], periodEnd: ['periodStart'] },
};

/** What an invocation did: the period batch's report (`recomputePeriod`) and the footprint versions published. */
export interface RecomputeReport extends PeriodRunReport {
  /** Products with a current result for the period: stored now (new, changed) or unchanged since the last run. */
  computed: { product: string; resultId: string; status: PeriodProductOutcome['status'] }[];
  failed: { product: string; code: string; message: string }[];
  published: number;
}

export { previousMonth };

export interface RecomputeDeps {
  secrets: SecretsClient;
  env: NodeJS.ProcessEnv;
  log: Logger;
  now?: () => number;
}

/**
 * The scheduled recomputation: the per-period batch (`recomputePeriod`, the same code as `cloud-sink recompute
 * --period`) over the previous month or the given period, then the footprint publisher, whose Published events wait in the delivery queue (ADR 0235). A second run over unchanged data stores and publishes nothing. One product's failure
 * (a missing factor, say) is logged and the others go on; the invocation then fails naming every failed product, so
 * the function's error alarm fires.
 */
export function createRecomputeHandler(deps: RecomputeDeps): (event: unknown) => Promise<RecomputeReport> {
  const settings = databaseSettingsFromEnv(deps.env);
  const now = deps.now ?? Date.now;
  return async (event) => {
    const req = validateConfig<RecomputeRequest>(event ?? {}, RECOMPUTE_REQUEST_SCHEMA, 'recompute request');
    const period =
      req.periodStart && req.periodEnd
        ? { periodStart: new Date(req.periodStart).toISOString(), periodEnd: new Date(req.periodEnd).toISOString() }
        : previousMonth(now());
    if (Date.parse(period.periodEnd) <= Date.parse(period.periodStart))
      throw new PcfError('ERR_USAGE', `recompute: periodEnd must be after periodStart (${JSON.stringify(period)})`);
    const options: CalcOptions = {
      periodStart: period.periodStart,
      periodEnd: period.periodEnd,
      method: req.method,
      gwpSet: req.gwpSet,
      shareKey: req.shareKey,
      overheadKey: req.overheadKey,
    };
    const api = await readApiSettings(deps.secrets, deps.env);
    const db = await openDatabase({ secrets: deps.secrets, settings, log: deps.log, poolSize: 2 });
    try {
      const pcf = new PcfService(db.repo); // nothing kept across invocations
      const run = await recomputePeriod(pcf, options, { log: deps.log, now });
      const publisher = createFootprintPublisher({
        repo: db.repo,
        company: api.api.pact,
        log: deps.log,
        now,
        // queued for the API's delivery loop, to the partners granted the footprints (ADR 0235)
        announce: publishedAnnouncer(db.repo, { baseUrl: api.api.publicBaseUrl ?? '', now }),
      });
      const report: RecomputeReport = {
        ...run,
        computed: run.products.flatMap((p) =>
          p.resultId ? [{ product: p.product, resultId: p.resultId, status: p.status }] : [],
        ),
        failed: run.products.flatMap((p) =>
          p.status === 'failed' ? [{ product: p.product, code: p.code!, message: p.message! }] : [],
        ),
        published: (await publisher.sync()).published.length,
      };
      deps.log.info({ ...period, ...run.counts, published: report.published }, 'recompute done');
      if (report.failed.length > 0)
        throw new PcfError(
          'ERR_RECOMPUTE',
          `recompute ${period.periodStart} – ${period.periodEnd}: ${report.failed.length} of ${run.products.length} products failed: ${report.failed.map((f) => `${f.product} (${f.code})`).join(', ')}`,
          { report },
        );
      return report;
    } finally {
      await db.close();
    }
  };
}

let deployed: ((event: unknown) => Promise<RecomputeReport>) | undefined;

/** Lambda entry point (`index.handler` in the bundle). */
export function handler(event: unknown): Promise<RecomputeReport> {
  deployed ??= createRecomputeHandler({
    secrets: new SecretsManagerClient({}),
    env: process.env,
    log: createLogger({ component: 'cloud-sink-recompute' }),
  });
  return deployed(event);
}
