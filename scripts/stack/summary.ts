import type { CloudSinkRepository, ProductResultDoc } from '@pcf-edge/cloud-sink';
import { Dec, microToNumber, present } from '@pcf-edge/cloud-sink';

/** What the live terminal summary shows: per line energy and units at the cloud, per product PCF, export lag. */
export interface LineFigures {
  line: string;
  electricityKWh: number;
  gasKWh: number;
  unitsGood: number;
  kWhPerUnit: number | null;
  coverage: number;
  estimated: number;
}
export interface ProductFigures {
  product: string;
  declaredUnit: string;
  perUnit: string;
  method: string;
  goodUnits: string;
}

export async function lineFigures(
  repo: CloudSinkRepository,
  site: string,
  lines: string[],
  fromMs: number,
  toMs: number,
  windowMs: number,
): Promise<LineFigures[]> {
  const out: LineFigures[] = [];
  for (const line of lines) {
    const rows = (await repo.queryRollups({ type: 'line', site, line, fromMs, toMs })).filter(
      (r) => r.windowMs === windowMs,
    );
    const sum = (f: (r: (typeof rows)[number]) => number | null): number => rows.reduce((a, r) => a + (f(r) ?? 0), 0);
    const electricityKWh = sum((r) => microToNumber(r.electricityMicroKWh));
    const gasKWh = sum((r) => microToNumber(r.gasMicroKWh));
    const unitsGood = sum((r) => r.unitsGood);
    out.push({
      line,
      electricityKWh,
      gasKWh,
      unitsGood,
      kWhPerUnit: unitsGood > 0 ? (electricityKWh + gasKWh) / unitsGood : null,
      coverage: rows.length > 0 ? sum((r) => r.coverage) / rows.length : 0,
      estimated: rows.filter((r) => r.estimated).length,
    });
  }
  return out;
}

/** Newest 1-minute line-rollup window end received at the cloud, epoch ms (simulated time), or null. */
export async function newestWindowEnd(
  repo: CloudSinkRepository,
  site: string,
  lines: string[],
  fromMs: number,
  toMs: number,
): Promise<number | null> {
  let newest: number | null = null;
  for (const line of lines) {
    for (const r of await repo.queryRollups({ type: 'line', site, line, fromMs, toMs })) {
      if (r.windowMs !== 60_000) continue;
      const end = r.windowStartMs + r.windowMs;
      if (newest === null || end > newest) newest = end;
    }
  }
  return newest;
}

export function productFigures(doc: ProductResultDoc): ProductFigures {
  return {
    product: doc.product,
    declaredUnit: doc.declaredUnit,
    perUnit: doc.pcfPerDeclaredUnitDisplay,
    method: doc.method,
    goodUnits: present(new Dec(doc.goodUnits), 1),
  };
}

const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const fix = (n: number, d: number): string => present(new Dec(n), d);

/** The summary block, at most 78 columns wide. */
export function renderSummary(o: {
  simNow: Date;
  factor: number;
  dashboard: string;
  lines: LineFigures[];
  products: ProductFigures[];
  lagSimMs: number | null;
  note?: string;
  /** Products whose production orders have not run yet in the simulated period. */
  notYetProduced?: string[];
}): string {
  const out: string[] = [];
  out.push(
    `pcf-edge local stack — simulated ${o.simNow.toISOString().slice(0, 16).replace('T', ' ')} UTC (×${o.factor})`,
  );
  out.push(`dashboard ${o.dashboard}`);
  out.push('');
  out.push(
    `${pad('line', 10)}${lpad('elec kWh', 12)}${lpad('gas kWh', 12)}${lpad('units', 9)}${lpad('kWh/unit', 10)}${lpad('cover', 8)}${lpad('est', 5)}`,
  );
  for (const l of o.lines) {
    out.push(
      `${pad(l.line, 10)}${lpad(fix(l.electricityKWh, 2), 12)}${lpad(fix(l.gasKWh, 2), 12)}${lpad(String(Math.round(l.unitsGood)), 9)}` +
        `${lpad(l.kWhPerUnit === null ? '-' : fix(l.kWhPerUnit, 3), 10)}${lpad(`${(l.coverage * 100).toFixed(1)}%`, 8)}${lpad(String(l.estimated), 5)}`,
    );
  }
  out.push('');
  out.push(`${pad('product', 14)}${lpad('kgCO2e per unit', 18)}  ${pad('unit', 10)}${lpad('good units', 12)}  method`);
  if (o.products.length === 0) out.push('  (waiting for the first complete windows to reach the cloud)');
  for (const p of o.products) {
    out.push(
      `${pad(p.product, 14)}${lpad(p.perUnit, 18)}  ${pad(p.declaredUnit, 10)}${lpad(p.goodUnits, 12)}  ${p.method}`,
    );
  }
  if (o.products.length > 0 && (o.notYetProduced ?? []).length > 0) {
    out.push(`  (not produced yet in the simulated day: ${o.notYetProduced!.join(', ')})`);
  }
  out.push('');
  const lag =
    o.lagSimMs === null
      ? 'no rollup at the cloud yet'
      : `${(o.lagSimMs / 60_000).toFixed(1)} simulated min (${(o.lagSimMs / o.factor / 1000).toFixed(1)} s real)`;
  out.push(`export lag: ${lag}`);
  if (o.note) out.push(o.note);
  out.push('Ctrl-C stops every process.');
  return out.join('\n');
}
