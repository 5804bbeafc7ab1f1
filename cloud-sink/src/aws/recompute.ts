import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, PcfError, validateConfig, type Logger } from '@pcf-edge/core';
import { ALLOCATION_KEYS, GWP_SET_NAMES, type CalcOptions } from '@pcf-edge/pcf-engine';
import { createFootprintPublisher } from '../pact/publish';
import { loadSnapshot } from '../reference/snapshot';
import { PcfService } from '../service/pcf-service';
import type { CloudSinkRepository } from '../store/repository';
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

export interface RecomputeReport {
  periodStart: string;
  periodEnd: string;
  computed: { product: string; resultId: string }[];
  failed: { product: string; code: string; message: string }[];
  published: number;
}

/** [start, end) of the calendar month before `nowMs`, UTC, ISO-8601. */
export function previousMonth(nowMs: number): { periodStart: string; periodEnd: string } {
  const d = new Date(nowMs);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  return { periodStart: new Date(start).toISOString(), periodEnd: new Date(end).toISOString() };
}

/** Products with a production order overlapping [from, to), sorted: the products made in the period. */
async function productsMadeIn(repo: CloudSinkRepository, fromMs: number, toMs: number): Promise<string[]> {
  const snapshot = await loadSnapshot(repo);
  const made = new Set<string>();
  for (const o of snapshot.orders.values())
    if (Date.parse(o.data.start) < toMs && Date.parse(o.data.end) > fromMs) made.add(o.data.product);
  return [...made].sort();
}

export interface RecomputeDeps {
  secrets: SecretsClient;
  env: NodeJS.ProcessEnv;
  log: Logger;
  now?: () => number;
}

/**
 * The scheduled recomputation: computes and stores (with its audit record) the PCF of every product made in the
 * period, then publishes the new results as PACT footprints. One product's failure (a missing factor, say) is logged
 * and the others go on; the invocation then fails naming every failed product, so the function's error alarm fires.
 * The stack invokes it without retries: a retry would store every result a second time.
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
      ...period,
      method: req.method,
      gwpSet: req.gwpSet,
      shareKey: req.shareKey,
      overheadKey: req.overheadKey,
    };
    const api = await readApiSettings(deps.secrets, deps.env);
    const db = await openDatabase({ secrets: deps.secrets, settings, log: deps.log, poolSize: 2 });
    try {
      const report: RecomputeReport = { ...period, computed: [], failed: [], published: 0 };
      const products = await productsMadeIn(db.repo, Date.parse(period.periodStart), Date.parse(period.periodEnd));
      const pcf = new PcfService(db.repo); // stored results always compute afresh: nothing kept across invocations
      for (const product of products) {
        try {
          const { audit } = await pcf.calculateAndStore(product, options, now());
          report.computed.push({ product, resultId: audit.resultId });
        } catch (err) {
          const code = err instanceof PcfError ? err.code : 'ERR_UNEXPECTED';
          deps.log.error({ err, product, ...period }, 'recompute of a product failed');
          report.failed.push({ product, code, message: (err as Error).message });
        }
      }
      const publisher = createFootprintPublisher({ repo: db.repo, company: api.api.pact, log: deps.log, now });
      report.published = (await publisher.sync()).published.length;
      deps.log.info(
        { ...period, computed: report.computed.length, failed: report.failed.length, published: report.published },
        'recompute done',
      );
      if (report.failed.length > 0)
        throw new PcfError(
          'ERR_RECOMPUTE',
          `recompute ${period.periodStart} – ${period.periodEnd}: ${report.failed.length} of ${products.length} products failed: ${report.failed.map((f) => `${f.product} (${f.code})`).join(', ')}`,
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
