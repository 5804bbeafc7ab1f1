import { PcfError, type Logger } from '@pcf-edge/core';
import { showAudit } from '../audit/show';
import { verifyAudit } from '../audit/verify';
import { present } from '@pcf-edge/pcf-engine';
import { GWP_SET_NAMES } from '@pcf-edge/pcf-engine';
import { ALLOCATION_KEYS, type CalcOptions } from '@pcf-edge/pcf-engine';
import { parseDuration } from '@pcf-edge/core';
import type { RawArchive } from '../archive/archive';
import { createKinesisConsumer } from '../ingest/poller';
import { decodeRollups } from '../ingest/quantities';
import { importReferenceFile } from '../reference/import';
import { isReferenceKind, REFERENCE_KINDS } from '../reference/types';
import { importDirectory } from '../service/demo';
import { demoRollups } from '../service/demo-rollups';
import type { PcfService } from '../service/pcf-service';
import type { ProductResultDoc } from '../service/result-doc';
import type { CloudSinkRepository } from '../store/repository';
import { HELP, instant, oneOf, parse, required } from './args';
import { Dec } from '@pcf-edge/pcf-engine';

export interface CliContext {
  repo: CloudSinkRepository;
  /** The command's PCF service (one per process). */
  pcf: PcfService;
  out: (text: string) => void;
  /** Diagnostics (stderr). */
  err: (text: string) => void;
  /** Where progress goes (stderr): a bar redrawn in place on a terminal, else lines (CliIo.progress). */
  progress: { tty: boolean; write: (text: string) => void };
  log: Logger;
  onSignal: (stop: () => Promise<void>) => void;
  /** The raw archive of this command (`--archive`, the environment, or the default folder; ADR 0233). */
  archive: () => RawArchive;
}
type Values = Record<string, string | boolean | undefined>;

export async function importCommand(ctx: CliContext, positionals: string[]): Promise<number> {
  const [kind, file] = positionals;
  if (!kind || !file || positionals.length > 2)
    throw new PcfError('ERR_USAGE', 'import: expected <kind> <file> (see --help)');
  if (!isReferenceKind(kind))
    throw new PcfError('ERR_USAGE', `import: unknown kind '${kind}' (${REFERENCE_KINDS.join(', ')})`);
  const r = await importReferenceFile(ctx.repo, kind, file, ctx.archive());
  ctx.out(`imported ${r.entities} ${kind} from ${file} as reference version ${r.version}`);
  return 0;
}

export async function importDemoCommand(ctx: CliContext, values: Values): Promise<number> {
  for (const r of await importDirectory(ctx.repo))
    ctx.out(`imported ${r.entities} ${r.kind} as reference version ${r.version}`);
  if (!values['no-rollups']) {
    const res = await ctx.repo.ingest({ rollups: decodeRollups(demoRollups()), deadLetters: [] });
    ctx.out(`stored ${res.applied} demo rollups (${res.ignored} already present)`);
  }
  return 0;
}

export function pcfOptions(values: Values): CalcOptions {
  const c = 'pcf';
  return {
    periodStart: instant(c, 'from', required(c, values, 'from')),
    periodEnd: instant(c, 'to', required(c, values, 'to')),
    ...calcChoices(c, values),
  };
}

/** --method, --gwp, --share-key, --overhead-key, --window of `command`, with their defaults. */
export function calcChoices(c: string, values: Values): Omit<CalcOptions, 'periodStart' | 'periodEnd'> {
  return {
    method: oneOf(c, 'method', (values.method as string | undefined) ?? 'location', ['location', 'market'] as const),
    gwpSet: oneOf(c, 'gwp', (values.gwp as string | undefined) ?? 'AR6', GWP_SET_NAMES),
    shareKey: oneOf(c, 'share-key', (values['share-key'] as string | undefined) ?? 'units', ALLOCATION_KEYS),
    overheadKey: oneOf(c, 'overhead-key', (values['overhead-key'] as string | undefined) ?? 'units', ALLOCATION_KEYS),
    ...(typeof values.window === 'string' ? { windowMs: windowMs(c, values.window) } : {}),
  };
}

function windowMs(command: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${command}: --window: ${(err as Error).message}`);
  }
}

const kg = (v: string | undefined) => (v === undefined ? '' : present(new Dec(v), 6).padStart(16));

export function formatResult(doc: ProductResultDoc, resultId?: string): string {
  const b = doc.breakdownKg,
    u = doc.breakdownKgPerDeclaredUnit as Record<string, string> | undefined;
  const lines = [
    `PCF ${doc.product}: ${doc.pcfPerDeclaredUnitDisplay} kgCO2e per ${doc.declaredUnit}  (${doc.method}-based electricity, ${doc.gwpSet})${resultId ? `  result ${resultId}` : ''}`,
    `period ${doc.periodStart} – ${doc.periodEnd}; ${doc.goodUnits} good, ${doc.scrapUnits} scrap; primary data share ${doc.primaryDataShare} %`,
    "breakdown (kgCO2e for the period's output, and per declared unit)",
    `  materials                     ${kg(b.materials)}${kg(u?.materials)}`,
    `  electricity location-based    ${kg(b.electricityLocation)}${kg(u?.electricityLocation)}`,
    `  electricity market-based      ${kg(b.electricityMarket)}${kg(u?.electricityMarket)}`,
    `  gas                           ${kg(b.gas)}${kg(u?.gas)}`,
    `  overhead electricity (loc.)   ${kg(b.overheadElectricityLocation)}${kg(u?.overheadElectricityLocation)}`,
    `  overhead electricity (market) ${kg(b.overheadElectricityMarket)}${kg(u?.overheadElectricityMarket)}`,
    `  overhead gas                  ${kg(b.overheadGas)}${kg(u?.overheadGas)}`,
    `  direct process emissions      ${kg(b.direct)}${kg(u?.direct)}`,
    `  total (${doc.method})${' '.repeat(22 - doc.method.length)}${kg(doc.totalKg)}`,
    ...biogenicLines(doc),
    'orders',
    ...doc.orders.map(
      (o) =>
        `  ${o.id} on ${o.line}: ${o.goodUnits} good, ${o.scrapUnits} scrap, ${present(new Dec(o.totalKg), 6)} kgCO2e, ${o.perUnitKg === null ? '-' : present(new Dec(o.perUnitKg), 6)} per unit`,
    ),
    'energy balance (metered = allocated + overhead + unallocated)',
    ...doc.balances.map(
      (x) =>
        `  ${x.line}: ${present(new Dec(x.metered), 6)} = ${present(new Dec(x.allocated), 6)} + ${present(new Dec(x.overhead), 6)} + ${present(new Dec(x.unallocated), 6)} (residual ${x.residual})`,
    ),
  ];
  if (doc.warnings.length > 0) lines.push('warnings', ...doc.warnings.map((w) => `  ${w}`));
  return lines.join('\n');
}

/** The biogenic carbon per declared unit (ADR 0247), when the result carries any. */
function biogenicLines(doc: ProductResultDoc): string[] {
  const b = doc.biogenic;
  if (!b || b.source === 'none') return [];
  const from = b.source === 'bom' ? 'from the BOM' : 'from the product data';
  const including = b.pcfIncludingBiogenicPerDeclaredUnit;
  return [
    `biogenic carbon: ${b.carbonContentKgPerDeclaredUnit} kg C per ${doc.declaredUnit} (${from})` +
      (including === undefined ? '' : `; PCF including biogenic ${present(new Dec(including), 6)} kgCO2e`),
  ];
}

export async function pcfCommand(ctx: CliContext, values: Values): Promise<number> {
  const product = required('pcf', values, 'product');
  const options = pcfOptions(values);
  if (values['dry-run']) {
    const { doc } = await ctx.pcf.calculateProduct(product, options, undefined, 'doc');
    ctx.out(values.json ? JSON.stringify(doc, null, 2) : formatResult(doc));
  } else {
    const { doc, audit } = await ctx.pcf.calculateAndStore(product, options);
    ctx.out(
      values.json
        ? JSON.stringify({ resultId: audit.resultId, auditHash: audit.hash, result: doc }, null, 2)
        : formatResult(doc, audit.resultId),
    );
  }
  return 0;
}

export async function resultsCommand(ctx: CliContext): Promise<number> {
  for (const r of await ctx.repo.listResults()) {
    const doc = r.result as ProductResultDoc;
    ctx.out(
      `${r.id}  ${r.subject}  ${r.periodStart} – ${r.periodEnd}  ${r.method} ${r.gwpSet}  ${doc.pcfPerDeclaredUnitDisplay} kgCO2e/${doc.declaredUnit}`,
    );
  }
  return 0;
}

export async function auditCommand(ctx: CliContext, positionals: string[]): Promise<number> {
  const [sub, id] = positionals;
  if (sub === 'verify' && positionals.length === 1) {
    const report = await verifyAudit(ctx.repo);
    for (const r of report.records)
      ctx.out(
        `${r.ok ? 'ok  ' : 'FAIL'} #${r.auditId} ${r.resultId}${r.problems.map((p) => `\n       ${p}`).join('')}`,
      );
    for (const p of report.store) ctx.out(`FAIL store: ${p}`);
    ctx.out(`${report.records.length} records, ${report.records.filter((r) => !r.ok).length} failed`);
    return report.ok ? 0 : 1;
  }
  if (sub === 'show' && id && positionals.length === 2) {
    ctx.out(await showAudit(ctx.repo, id));
    return 0;
  }
  throw new PcfError('ERR_USAGE', 'audit: expected "verify" or "show <result id>" (see --help)');
}

export async function consumeCommand(ctx: CliContext, values: Values): Promise<number> {
  const stream = required('consume', values, 'stream');
  const poll = Number(values['poll-interval-ms'] ?? 1000);
  if (!Number.isInteger(poll) || poll < 0)
    throw new PcfError('ERR_USAGE', `consume: --poll-interval-ms must be a non-negative integer`);
  const consumer = createKinesisConsumer(
    {
      stream,
      pollIntervalMs: poll,
      recordsPerRead: 10_000,
      retryDelayMs: 1000,
      stopWhenIdle: values['until-idle'] === true,
      ...(typeof values.shards === 'string' ? { shards: values.shards.split(',').filter((x) => x !== '') } : {}),
      ...(typeof values.endpoint === 'string' ? { endpoint: values.endpoint } : {}),
      ...(typeof values.region === 'string' ? { region: values.region } : {}),
    },
    { repo: ctx.repo, log: ctx.log, archive: ctx.archive() },
  );
  ctx.onSignal(() => consumer.stop());
  await consumer.start();
  await consumer.done();
  await consumer.stop();
  const s = consumer.stats;
  ctx.out(
    `consumed ${s.records} records: ${s.rollups} rollups stored or revised, ${s.deadLetters} dead-lettered, ${s.errors} retried errors`,
  );
  return 0;
}

export const COMMAND_OPTIONS = {
  import: { archive: { type: 'string' }, 's3-endpoint': { type: 'string' } },
  'import-demo': { 'no-rollups': { type: 'boolean' } },
  pcf: {
    product: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    method: { type: 'string' },
    gwp: { type: 'string' },
    'share-key': { type: 'string' },
    'overhead-key': { type: 'string' },
    window: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  results: { stale: { type: 'boolean' }, json: { type: 'boolean' } },
  recompute: {
    stale: { type: 'boolean' },
    period: { type: 'string' },
    method: { type: 'string' },
    gwp: { type: 'string' },
    'share-key': { type: 'string' },
    'overhead-key': { type: 'string' },
    'threshold-percent': { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
  },
  audit: {},
  migrate: {},
  consume: {
    stream: { type: 'string' },
    endpoint: { type: 'string' },
    region: { type: 'string' },
    'until-idle': { type: 'boolean' },
    shards: { type: 'string' },
    'poll-interval-ms': { type: 'string' },
    archive: { type: 'string' },
    's3-endpoint': { type: 'string' },
  },
  replay: { from: { type: 'string' }, digest: { type: 'boolean' }, 's3-endpoint': { type: 'string' } },
} as const;

export { HELP, parse };
