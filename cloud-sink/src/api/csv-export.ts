import { stringify } from 'csv-stringify/sync';
import type { energyReport } from './energy';
import type { resultsView } from './views';

type Results = Awaited<ReturnType<typeof resultsView>>['results'];
type Energy = Awaited<ReturnType<typeof energyReport>>;

/**
 * RFC 4180 text: CRLF line ends, a header row, a field quoted when it holds a comma, a quote, CR or LF (quotes
 * doubled). Absent values are empty fields. csv-stringify does the quoting.
 */
function csv(columns: string[], rows: unknown[][]): string {
  return stringify([columns, ...rows], { record_delimiter: '\r\n', cast: { boolean: (b) => String(b) } });
}

/**
 * One row per stored product result: its period and options, the PCF per declared unit at full precision, the
 * breakdown (kgCO2e of the period, one column per part), energy (kWh), the footprint published from it, and its
 * warnings joined by "; ". `stale` marks the results `GET /api/results/stale` lists (ADR 0232).
 */
export function resultsCsv(results: Results, staleIds: ReadonlySet<string>): string {
  const parts = [...new Set(results.flatMap((r) => Object.keys(r.breakdownKg)))].sort();
  const energy = [...new Set(results.flatMap((r) => Object.keys(r.energyKWh)))].sort();
  const columns = [
    'resultId',
    'product',
    'periodStart',
    'periodEnd',
    'method',
    'gwpSet',
    'declaredUnit',
    'pcfPerDeclaredUnit',
    'goodUnits',
    ...parts.map((p) => `breakdownKg.${p}`),
    ...energy.map((e) => `energyKWh.${e}`),
    'primaryDataShare',
    'stale',
    'footprintId',
    'footprintVersion',
    'footprintStatus',
    'createdAt',
    'warnings',
  ];
  const rows = results.map((r) => [
    r.id,
    r.product,
    r.periodStart,
    r.periodEnd,
    r.method,
    r.gwpSet,
    r.declaredUnit,
    r.pcfPerDeclaredUnit,
    r.goodUnits,
    ...parts.map((p) => r.breakdownKg[p]),
    ...energy.map((e) => r.energyKWh[e]),
    r.primaryDataShare,
    staleIds.has(r.id),
    r.footprint?.id,
    r.footprint?.version,
    r.footprint?.statusNow,
    r.createdAt,
    r.warnings.join('; '),
  ]);
  return csv(columns, rows);
}

/**
 * One row per line and window of the energy report (the longest window length present per line): kWh and m³ from
 * the stored micro-units (exact below 10⁹ kWh, where a double prints every digit), units, coverage (0–1).
 */
export function energyCsv(report: Energy): string {
  const columns = [
    'line',
    'lineName',
    'site',
    'windowStart',
    'windowMs',
    'electricityKWh',
    'gasKWh',
    'gasM3',
    'unitsGood',
    'unitsScrap',
    'coverage',
    'estimated',
  ];
  const rows = report.lines.flatMap((l) =>
    l.windows.map((w) => [
      l.line,
      l.name,
      l.site,
      w.start,
      w.windowMs,
      w.electricityKWh,
      w.gasKWh,
      w.gasM3,
      w.unitsGood,
      w.unitsScrap,
      w.coverage,
      w.estimated,
    ]),
  );
  return csv(columns, rows);
}
