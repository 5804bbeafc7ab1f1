import { formatDuration, PcfError, type LineRollup } from '@pcf-edge/core';
import type { GatewayStore } from '@pcf-edge/store';
import { csv, num, table, utc, type Column } from './format';
import {
  COMMON_OPTIONS,
  duration,
  openReadOnly,
  parse,
  period,
  PERIOD_HELP,
  PERIOD_OPTIONS,
  STORE_HELP,
  usage,
} from './options';

export const ROLLUPS_HELP = `pcf-edge rollups — line energy per window

Usage: pcf-edge rollups --line <id> [--window 15m] [--since 24h | --from <time> --to <time>] [--json | --csv]

One row per written window: start (UTC), electricity kWh, gas m³, gas kWh (gross CV), good units, kWh per unit
(electricity + gas), coverage %, flags; then a totals row. Flags: E estimated, L late (revised), G gap,
R reset/replacement, O rollover, Q quarantine, B bad readings, S spike dropped, C no calorific value.

Options:
  --line <id>       line id (required)
  --window <len>    window length (default 15m)
${PERIOD_HELP}
  --json            JSON: { line, windowMs, fromMs, toMs, rows, totals }
  --csv             CSV with a header row and a final "total" row
${STORE_HELP}
  --help            this text`;

const FLAG_LETTERS: Record<string, string> = {
  gap: 'G',
  late: 'L',
  reset: 'R',
  replacement: 'R',
  rollover: 'O',
  quarantine: 'Q',
  bad: 'B',
  spike: 'S',
  noCalorificValue: 'C',
};

export function flagLetters(r: { estimated: boolean; flags: string[] }): string {
  const letters = new Set<string>();
  if (r.estimated) letters.add('E');
  for (const f of r.flags) letters.add(FLAG_LETTERS[f] ?? '?');
  return [...letters].sort().join('');
}

export interface LineRow {
  start: string;
  electricityKWh: number;
  gasM3: number;
  gasKWh: number;
  units: number;
  kWhPerUnit: number | null;
  coveragePct: number;
  flags: string;
  revision: number;
}

export function totalsOf(rows: LineRow[]): Omit<LineRow, 'start' | 'revision'> & { windows: number } {
  const sum = (f: (r: LineRow) => number): number => rows.reduce((a, r) => a + f(r), 0);
  const electricityKWh = sum((r) => r.electricityKWh);
  const gasKWh = sum((r) => r.gasKWh);
  const units = sum((r) => r.units);
  return {
    windows: rows.length,
    electricityKWh,
    gasM3: sum((r) => r.gasM3),
    gasKWh,
    units,
    kWhPerUnit: units > 0 ? (electricityKWh + gasKWh) / units : null,
    coveragePct: rows.length > 0 ? sum((r) => r.coveragePct) / rows.length : 0,
    flags: [...new Set(rows.flatMap((r) => [...r.flags]))].sort().join(''),
  };
}

export function toRow(l: LineRollup): LineRow {
  return {
    start: l.windowStart,
    electricityKWh: l.electricityKWh,
    gasM3: l.gasM3,
    gasKWh: l.gasKWh,
    units: l.unitsGood,
    kWhPerUnit: l.kWhPerUnit,
    coveragePct: l.coverage * 100,
    flags: flagLetters(l),
    revision: l.revision,
  };
}

export function knownLines(store: GatewayStore): string[] {
  return (
    store.db.prepare("SELECT DISTINCT line FROM rollups WHERE type = 'line' ORDER BY line").all() as { line: string }[]
  ).map((r) => r.line);
}

const COLUMNS: Column[] = [
  { title: 'start (UTC)', width: 16, align: 'left' },
  { title: 'elec kWh', width: 10, align: 'right' },
  { title: 'gas m3', width: 8, align: 'right' },
  { title: 'gas kWh', width: 9, align: 'right' },
  { title: 'units', width: 6, align: 'right' },
  { title: 'kWh/unit', width: 8, align: 'right' },
  { title: 'cov%', width: 5, align: 'right' },
  { title: 'flags', width: 0, align: 'left' },
];

export function runRollups(argv: string[], now: number): string {
  const v = parse(
    argv,
    {
      ...COMMON_OPTIONS,
      ...PERIOD_OPTIONS,
      line: { type: 'string' },
      window: { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
    },
    ROLLUPS_HELP,
  );
  if (v.help) return `${ROLLUPS_HELP}\n`;
  if (v.line === undefined) throw usage('--line is required', ROLLUPS_HELP);
  if (v.json && v.csv) throw usage('--json and --csv exclude each other', ROLLUPS_HELP);
  const windowMs = duration(v.window ?? '15m', 'window', ROLLUPS_HELP);
  const { fromMs, toMs } = period(v, now, ROLLUPS_HELP);
  const store = openReadOnly(v.store, ROLLUPS_HELP);
  try {
    const lines = knownLines(store);
    if (!lines.includes(v.line)) {
      throw new PcfError(
        'ERR_NOT_FOUND',
        `no rollups for line '${v.line}' in the store (known lines: ${lines.join(', ') || 'none'})`,
        { line: v.line },
      );
    }
    const rows = store
      .listRollups({ type: 'line', line: v.line, windowMs, fromMs, toMs })
      .map((s) => toRow(s.rollup as LineRollup));
    const totals = totalsOf(rows);
    if (v.json) return `${JSON.stringify({ line: v.line, windowMs, fromMs, toMs, rows, totals }, null, 2)}\n`;
    if (v.csv) {
      const header = [
        'start',
        'electricity_kwh',
        'gas_m3',
        'gas_kwh',
        'units',
        'kwh_per_unit',
        'coverage_pct',
        'flags',
      ];
      const cells = (r: Omit<LineRow, 'start' | 'revision'>, start: string): (string | number | null)[] => [
        start,
        r.electricityKWh,
        r.gasM3,
        r.gasKWh,
        r.units,
        r.kWhPerUnit,
        r.coveragePct,
        r.flags,
      ];
      return csv(header, [...rows.map((r) => cells(r, r.start)), cells(totals, 'total')]);
    }
    const cells = (r: Omit<LineRow, 'start' | 'revision'>, start: string): string[] => [
      start,
      num(r.electricityKWh),
      num(r.gasM3),
      num(r.gasKWh),
      num(r.units, 0),
      num(r.kWhPerUnit),
      num(r.coveragePct, 1),
      r.flags,
    ];
    const title = `line ${v.line}, ${formatDuration(windowMs)} windows, ${utc(fromMs)} to ${utc(toMs)} UTC\n`;
    return (
      title +
      table(
        COLUMNS,
        rows.map((r) => cells({ ...r }, utc(Date.parse(r.start)))),
        cells(totals, `total (${totals.windows})`),
      )
    );
  } finally {
    store.close();
  }
}
