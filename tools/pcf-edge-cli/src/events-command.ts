import { num, table, utc, type Column } from './format';
import { COMMON_OPTIONS, openReadOnly, parse, period, PERIOD_HELP, PERIOD_OPTIONS, STORE_HELP } from './options';

export const EVENTS_HELP = `pcf-edge events — counter events recorded by the aggregator

Usage: pcf-edge events [--since 24h | --from <time> --to <time>] [--meter <id>] [--json]

Rollovers, resets, meter replacements, quarantined readings (and whether the next reading confirmed or refuted
them) and gaps, oldest first, with the values involved.

Options:
${PERIOD_HELP}
  --meter <id>      only this meter
  --json            JSON array of events
${STORE_HELP}
  --help            this text`;

const COLUMNS: Column[] = [
  { title: 'time (UTC)', width: 19, align: 'left' },
  { title: 'meter', width: 10, align: 'left' },
  { title: 'point', width: 10, align: 'left' },
  { title: 'event', width: 19, align: 'left' },
  { title: 'detail', width: 0, align: 'left' },
];

function detailText(kind: string, d: Record<string, unknown>): string {
  const n = (k: string): string => (typeof d[k] === 'number' ? num(d[k], 3) : String(d[k] ?? '-'));
  switch (kind) {
    case 'gap':
      return `${Math.round(((d.toTs as number) - (d.fromTs as number)) / 1000)}s, ${n('delta')}`;
    case 'replacement':
      return `${String(d.previousSerial ?? '?')}→${String(d.serial ?? '?')} ${n('current')}`;
    case 'outlier':
      return `${n('previous')}→${n('outlier')}→${n('current')}, step to ${n('outlier')} revoked`;
    default:
      return `${n(d.anchor !== undefined ? 'anchor' : 'previous')}→${n(d.value !== undefined ? 'value' : 'current')}${d.reason ? ` ${String(d.reason)}` : ''}`;
  }
}

export function runEvents(argv: string[], now: number): string {
  const v = parse(
    argv,
    { ...COMMON_OPTIONS, ...PERIOD_OPTIONS, meter: { type: 'string' }, json: { type: 'boolean' } },
    EVENTS_HELP,
  );
  if (v.help) return `${EVENTS_HELP}\n`;
  const { fromMs, toMs } = period(v, now, EVENTS_HELP);
  const store = openReadOnly(v.store, EVENTS_HELP);
  try {
    const events = store
      .listCounterEvents(fromMs)
      .filter((e) => e.ts < toMs && (v.meter === undefined || e.meterId === v.meter));
    if (v.json) return `${JSON.stringify(events, null, 2)}\n`;
    if (events.length === 0) return `no counter events from ${utc(fromMs)} to ${utc(toMs)} UTC\n`;
    return table(
      COLUMNS,
      events.map((e) => [
        new Date(e.ts).toISOString().slice(0, 19).replace('T', ' '),
        e.meterId,
        e.point,
        e.kind,
        detailText(e.kind, e.detail),
      ]),
    );
  } finally {
    store.close();
  }
}
