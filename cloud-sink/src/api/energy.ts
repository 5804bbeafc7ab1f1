import { microToNumber } from '@pcf-edge/pcf-engine';
import { loadSnapshot } from '../reference/snapshot';
import type { CloudSinkRepository, StoredRollup } from '../store/repository';
import { HttpError } from './errors';
import { optionalMonth } from './period';

const MAX_RANGE_MS = 31 * 86_400_000;

function instantParam(name: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const ms = typeof raw === 'string' && raw.length <= 40 ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) throw new HttpError(400, 'BadRequest', `${name} must be an ISO-8601 date-time`);
  return ms;
}

/** A window for display: kWh and m³ as the nearest numbers to the stored micro-units. */
const window = (r: StoredRollup) => {
  const electricityKWh = microToNumber(r.electricityMicroKWh),
    gasKWh = microToNumber(r.gasMicroKWh);
  return {
    start: new Date(r.windowStartMs).toISOString(),
    windowMs: r.windowMs,
    electricityKWh,
    gasKWh,
    gasM3: microToNumber(r.gasMicroM3),
    unitsGood: r.unitsGood,
    unitsScrap: r.unitsScrap,
    kWhPerUnit: r.unitsGood ? ((electricityKWh ?? 0) + (gasKWh ?? 0)) / r.unitsGood : null,
    coverage: r.coverage,
    estimated: r.estimated,
  };
};

/**
 * Per-line energy for [from, to) or a calendar month (`month=YYYY-MM`; default: the span of the production orders): the windows of the longest window
 * length present (so 1-minute and 15-minute rollups are never added together), and totals. kWh and m³ as stored
 * (display values, not the PCF arithmetic).
 */
export async function energyReport(repo: CloudSinkRepository, q: Record<string, unknown>) {
  const snapshot = await loadSnapshot(repo);
  const orders = [...snapshot.orders.values()].map((o) => o.data);
  const month = optionalMonth(q);
  if (month && (q.from !== undefined || q.to !== undefined))
    throw new HttpError(400, 'BadRequest', 'give either month or from/to, not both');
  let fromMs = month ? month.startMs : instantParam('from', q.from),
    toMs = month ? month.endMs : instantParam('to', q.to);
  if (fromMs === undefined)
    fromMs = orders.length > 0 ? Math.min(...orders.map((o) => Date.parse(o.start))) : Date.now() - 86_400_000;
  if (toMs === undefined) toMs = orders.length > 0 ? Math.max(...orders.map((o) => Date.parse(o.end))) : Date.now();
  if (!(fromMs < toMs) || toMs - fromMs > MAX_RANGE_MS)
    throw new HttpError(400, 'BadRequest', 'from must be before to, at most 31 days apart');
  if (q.line !== undefined && (typeof q.line !== 'string' || !snapshot.lines.has(q.line)))
    throw new HttpError(404, 'NotFound', 'unknown line');
  const lineIds = typeof q.line === 'string' ? [q.line] : [...snapshot.lines.keys()].sort();
  const lines = [];
  for (const line of lineIds) {
    const rows = await repo.queryRollups({ type: 'line', line, fromMs, toMs });
    const windowMs = Math.max(0, ...rows.map((r) => r.windowMs));
    const used = rows.filter((r) => r.windowMs === windowMs);
    const sum = (k: 'electricityMicroKWh' | 'gasMicroKWh' | 'gasMicroM3' | 'unitsGood') =>
      used.reduce((s, r) => s + (r[k] ?? 0), 0);
    const totals = {
      electricityKWh: microToNumber(sum('electricityMicroKWh'))!,
      gasKWh: microToNumber(sum('gasMicroKWh'))!,
      gasM3: microToNumber(sum('gasMicroM3'))!,
      unitsGood: sum('unitsGood'),
    };
    lines.push({
      line,
      site: snapshot.lines.get(line)!.data.site,
      name: snapshot.lines.get(line)!.data.name ?? line,
      windowMs,
      windows: used.map(window),
      totals: {
        ...totals,
        kWhPerUnit: totals.unitsGood > 0 ? (totals.electricityKWh + totals.gasKWh) / totals.unitsGood : null,
        coverage: used.length > 0 ? used.reduce((s, r) => s + r.coverage, 0) / used.length : null,
        estimatedWindows: used.filter((r) => r.estimated).length,
      },
    });
  }
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), lines };
}
