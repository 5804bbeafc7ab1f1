import { PcfError } from '@pcf-edge/core';
import { Dec, present } from '@pcf-edge/pcf-engine';
import { apiConfig, loadApiConfig, type ApiConfig } from '../api/config';
import { createFootprintPublisher } from '../pact/publish';
import { publishedAnnouncer } from '../pact/published-events';
import { monthPeriod, recomputePeriod, type PeriodProductOutcome, type PeriodRunReport } from '../service/period-batch';
import { calcChoices, type CliContext } from './commands';
import { recomputeCommand } from './revision-commands';

type Values = Record<string, string | boolean | undefined>;

/** Options that only one form of `recompute` reads: naming one with the other form is a usage error, not ignored. */
const PERIOD_ONLY = ['method', 'gwp', 'share-key', 'overhead-key'];
const STALE_ONLY = ['threshold-percent'];

/** `recompute --stale` or `recompute --period <YYYY-MM>`: exactly one of them, each with its own options. */
export function recomputeAnyCommand(ctx: CliContext, values: Values): Promise<number> {
  const stale = values.stale === true;
  const period = values.period;
  if (stale && period !== undefined)
    throw new PcfError(
      'ERR_USAGE',
      `recompute: --stale and --period ${String(period)} exclude each other: --stale recomputes stale results of any period, --period every product of one month (see --help)`,
    );
  if (!stale && period === undefined)
    throw new PcfError('ERR_USAGE', 'recompute: --stale or --period <YYYY-MM> is required (see --help)');
  const foreign = (stale ? PERIOD_ONLY : STALE_ONLY).filter((k) => values[k] !== undefined);
  if (foreign.length > 0)
    throw new PcfError(
      'ERR_USAGE',
      `recompute: ${foreign.map((k) => `--${k}`).join(', ')} ${foreign.length > 1 ? 'apply' : 'applies'} only with ${stale ? '--period' : '--stale'} (see --help)`,
    );
  return stale ? recomputeCommand(ctx, values) : recomputePeriodCommand(ctx, values, String(period));
}

/** The API config whose pact section names the publishing company (`--config`), else the built-in defaults. */
export function publishingConfig(values: Values): Readonly<ApiConfig> {
  return typeof values.config === 'string' ? loadApiConfig(values.config) : apiConfig({ clients: [] }, 'defaults');
}

/**
 * Progress of `label` for `total` products: on a terminal a bar redrawn in place (ended by a newline at the end);
 * otherwise a line `recompute <label>: done/total products` at every tenth of the work and at the end.
 */
export function progressReporter(ctx: Pick<CliContext, 'progress'>, label: string) {
  const { tty, write } = ctx.progress;
  let lastStep = -1;
  return (done: number, total: number, product: string) => {
    if (tty) {
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      write(
        `\r\x1b[2Krecompute ${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${product}`,
      );
      if (done === total) write('\n');
      return;
    }
    const step = Math.floor((done * 10) / total);
    if (step !== lastStep || done === total) {
      lastStep = step;
      write(`recompute ${label}: ${done}/${total} products`);
    }
  };
}

const signed = (d: Dec, decimals: number) => `${d.isNegative() ? '' : '+'}${present(d, decimals)}`;

/** One product's line of the summary. */
export function formatOutcome(o: PeriodProductOutcome, width: number): string {
  const name = o.product.padEnd(width);
  const unit = `kgCO2e/${o.declaredUnit ?? '?'}`;
  const pcf = (v: string) => present(new Dec(v), 6);
  switch (o.status) {
    case 'failed':
      return `  ${name}  failed     ${o.code}: ${o.message}`;
    case 'new':
      return `  ${name}  new        ${pcf(o.pcf!)} ${unit}  result ${o.resultId}`;
    case 'unchanged':
      return `  ${name}  unchanged  ${pcf(o.pcf!)} ${unit}  result ${o.resultId}`;
    case 'changed': {
      const pct = o.changePercent === null ? 'n/a' : `${signed(new Dec(o.changePercent!), 4)} %`;
      return `  ${name}  changed    ${pcf(o.previousPcf!)} → ${pcf(o.pcf!)} ${unit} (${signed(new Dec(o.deltaKgPerDeclaredUnit!), 6)} ${unit}, ${pct})  result ${o.resultId}`;
    }
  }
}

/** The summary: a heading, one line per product, and the count line. */
export function formatPeriodSummary(label: string, r: PeriodRunReport, published: number, events: number): string {
  const o = r.options;
  const width = Math.max(0, ...r.products.map((p) => p.product.length));
  const c = r.counts;
  return [
    `recompute ${label} (${r.periodStart} – ${r.periodEnd}; ${o.method}-based, ${o.gwpSet}, share ${o.shareKey}, overhead ${o.overheadKey}) versus the last run:`,
    ...r.products.map((p) => formatOutcome(p, width)),
    `${r.products.length} products: ${c.new} new, ${c.changed} changed, ${c.unchanged} unchanged, ${c.failed} failed; ${published} footprint versions published, ${events} Published events queued`,
  ].join('\n');
}

/**
 * `recompute --period <YYYY-MM>`: every product made in the month computed, stored where it differs from the last
 * run (`recomputePeriod`), published; a summary of changes versus the last run. Exit 1 when a product failed.
 */
export async function recomputePeriodCommand(ctx: CliContext, values: Values, text: string): Promise<number> {
  const { label, ...period } = monthPeriod(text);
  const options = { ...period, ...calcChoices('recompute', values) };
  const config = publishingConfig(values);
  const run = await recomputePeriod(ctx.pcf, options, {
    log: ctx.log,
    onProgress: progressReporter(ctx, label),
  });
  const publisher = createFootprintPublisher({
    repo: ctx.repo,
    company: config.pact,
    log: ctx.log,
    announce: publishedAnnouncer(ctx.repo, { baseUrl: config.publicBaseUrl ?? '' }),
  });
  const report = await publisher.sync();
  if (values.json)
    ctx.out(
      JSON.stringify(
        {
          period: label,
          ...run,
          published: report.published.map((f) => ({
            id: f.id,
            version: f.version,
            status: f.status,
            resultId: f.resultId,
          })),
          events: report.events.length,
        },
        null,
        2,
      ),
    );
  else ctx.out(formatPeriodSummary(label, run, report.published.length, report.events.length));
  return run.counts.failed > 0 ? 1 : 0;
}
