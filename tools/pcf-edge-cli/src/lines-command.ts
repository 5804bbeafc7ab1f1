import { formatDuration, type LineRollup } from '@pcf-edge/core';
import { num, table, utc, type Column } from './format';
import {
  COMMON_OPTIONS,
  duration,
  openReadOnly,
  parse,
  period,
  PERIOD_HELP,
  PERIOD_OPTIONS,
  STORE_HELP,
} from './options';
import { toRow, totalsOf, type LineRow } from './rollups-command';

export const LINES_HELP = `pcf-edge lines — one row per line over a period

Usage: pcf-edge lines [--window 15m] [--since 24h | --from <time> --to <time>] [--json]

Sums the written line rollups of the period: windows, electricity kWh, gas m³, gas kWh, good units, kWh per
unit, mean coverage %, flags (see pcf-edge rollups --help).

Options:
  --window <len>    window length whose rollups are summed (default 15m)
${PERIOD_HELP}
  --json            JSON: { windowMs, fromMs, toMs, lines: [{ line, ...totals }] }
${STORE_HELP}
  --help            this text`;

const COLUMNS: Column[] = [
  { title: 'line', width: 10, align: 'left' },
  { title: 'windows', width: 7, align: 'right' },
  { title: 'elec kWh', width: 11, align: 'right' },
  { title: 'gas m3', width: 9, align: 'right' },
  { title: 'gas kWh', width: 10, align: 'right' },
  { title: 'units', width: 7, align: 'right' },
  { title: 'kWh/unit', width: 8, align: 'right' },
  { title: 'cov%', width: 5, align: 'right' },
  { title: 'flags', width: 0, align: 'left' },
];

export function runLines(argv: string[], now: number): string {
  const v = parse(
    argv,
    { ...COMMON_OPTIONS, ...PERIOD_OPTIONS, window: { type: 'string' }, json: { type: 'boolean' } },
    LINES_HELP,
  );
  if (v.help) return `${LINES_HELP}\n`;
  const windowMs = duration(v.window ?? '15m', 'window', LINES_HELP);
  const { fromMs, toMs } = period(v, now, LINES_HELP);
  const store = openReadOnly(v.store, LINES_HELP);
  try {
    const byLine = new Map<string, LineRow[]>();
    for (const s of store.listRollups({ type: 'line', windowMs, fromMs, toMs })) {
      const l = s.rollup as LineRollup;
      let rows = byLine.get(l.line);
      if (!rows) byLine.set(l.line, (rows = []));
      rows.push(toRow(l));
    }
    const lines = [...byLine]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([line, rows]) => ({ line, ...totalsOf(rows) }));
    if (v.json) return `${JSON.stringify({ windowMs, fromMs, toMs, lines }, null, 2)}\n`;
    const title = `lines, ${formatDuration(windowMs)} windows, ${utc(fromMs)} to ${utc(toMs)} UTC\n`;
    if (lines.length === 0) return `${title}no line rollups in this period\n`;
    return (
      title +
      table(
        COLUMNS,
        lines.map((l) => [
          l.line,
          String(l.windows),
          num(l.electricityKWh),
          num(l.gasM3),
          num(l.gasKWh),
          num(l.units, 0),
          num(l.kWhPerUnit),
          num(l.coveragePct, 1),
          l.flags,
        ]),
      )
    );
  } finally {
    store.close();
  }
}
