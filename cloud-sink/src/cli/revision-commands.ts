import { PcfError } from '@pcf-edge/core';
import { Dec, present } from '@pcf-edge/pcf-engine';
import { apiConfig, loadApiConfig } from '../api/config';
import { createFootprintPublisher } from '../pact/publish';
import { publishedAnnouncer } from '../pact/published-events';
import { DEFAULT_THRESHOLD_PERCENT, recomputeStale, thresholdPercent } from '../service/recompute';
import { findStaleResults, type StaleResult } from '../service/stale';
import type { CliContext } from './commands';

type Values = Record<string, string | boolean | undefined>;

const signed = (v: string, decimals: number) => {
  const d = new Dec(v);
  return `${d.isNegative() ? '' : '+'}${present(d, decimals)}`;
};

/** One stale result as printed by `results --stale`. */
export function formatStale(s: StaleResult): string {
  return [
    `${s.resultId}  ${s.product}  ${s.periodStart} – ${s.periodEnd}  ${s.method} ${s.gwpSet}  STALE`,
    `    PCF ${present(new Dec(s.recordedPcf), 6)} → ${present(new Dec(s.currentPcf), 6)} kgCO2e/${s.declaredUnit} (${signed(s.deltaKgPerDeclaredUnit, 6)} kgCO2e/${s.declaredUnit}, ${present(new Dec(s.relativeChange).times(100), 4)} %); energy ${signed(s.deltaKWh, 6)} kWh`,
    `    ${s.revised.length} revised${s.revised.length ? `: ${s.revised.slice(0, 5).join(', ')}${s.revised.length > 5 ? ', …' : ''}` : ''}; ${s.added.length} new windows`,
  ].join('\n');
}

export async function staleResultsCommand(ctx: CliContext, values: Values): Promise<number> {
  const stale = await findStaleResults(ctx.repo);
  if (values.json) {
    ctx.out(
      JSON.stringify(
        stale.map(({ current: _current, ...rest }) => rest),
        null,
        2,
      ),
    );
    return 0;
  }
  for (const s of stale) ctx.out(formatStale(s));
  ctx.out(`${stale.length} stale results`);
  return 0;
}

export async function recomputeCommand(ctx: CliContext, values: Values): Promise<number> {
  if (values.stale !== true)
    throw new PcfError('ERR_USAGE', 'recompute: --stale is required (only stale results are recomputed; see --help)');
  const threshold = thresholdPercent((values['threshold-percent'] as string | undefined) ?? DEFAULT_THRESHOLD_PERCENT);
  const config =
    typeof values.config === 'string' ? loadApiConfig(values.config) : apiConfig({ clients: [] }, 'defaults');
  const outcomes = await recomputeStale(ctx.repo, threshold);
  const publisher = createFootprintPublisher({
    repo: ctx.repo,
    company: config.pact,
    log: ctx.log,
    announce: publishedAnnouncer(ctx.repo, { baseUrl: config.publicBaseUrl ?? '' }),
  });
  const report = await publisher.sync();
  if (values.json) {
    ctx.out(JSON.stringify({ recomputed: outcomes, published: report.published, events: report.events }, null, 2));
    return 0;
  }
  for (const o of outcomes) ctx.out(`${o.resultId}  ${o.product}  ${o.note}`);
  for (const f of report.published)
    ctx.out(
      `footprint ${f.id} v${f.version} ${f.status}${(f.doc as { precedingPfIds?: string[] }).precedingPfIds ? ` (preceded by ${(f.doc as { precedingPfIds: string[] }).precedingPfIds.join(', ')})` : ''}`,
    );
  ctx.out(
    `${outcomes.length} stale results: ${outcomes.filter((o) => o.successorId).length} republished, ${outcomes.filter((o) => !o.successorId).length} current again; ${report.events.length} Published events queued`,
  );
  return 0;
}
