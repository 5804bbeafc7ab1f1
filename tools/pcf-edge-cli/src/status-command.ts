import type { GatewayStore } from '@pcf-edge/store';
import { age, bytes, table, utc, type Column } from './format';
import { COMMON_OPTIONS, duration, openReadOnly, parse, STORE_HELP } from './options';

export const STATUS_HELP = `pcf-edge status — gateway health at a glance

Usage: pcf-edge status [--watch [--interval 2s]] [--json]

Per meter: state, age of the last good reading, consecutive failures, last error. Then the store size, the
aggregator's progress, the outbox depth and the age of the oldest unexported rollup, and counter events in the
last 24 hours by kind.

Options:
  --watch           redraw until interrupted (Ctrl-C)
  --interval <dur>  redraw interval with --watch (default 2s)
  --json            JSON snapshot
${STORE_HELP}
  --help            this text`;

export interface StatusSnapshot {
  at: number;
  store: { path: string; fileBytes: number; readings: number; rollups: number };
  aggregator: { cursor: number; latestSeq: number; behind: number; readingTime: number | null } | null;
  outbox: { depth: number; oldestUnsentAgeMs: number | null };
  events24h: Record<string, number>;
  meters: {
    meterId: string;
    line: string;
    state: string;
    lastGoodAgeMs: number | null;
    consecutiveFailures: number;
    lastError: string | null;
  }[];
}

export function statusSnapshot(store: GatewayStore, now: number): StatusSnapshot {
  const stats = store.stats();
  const progressText = store.getState('lineAggregator', 'progress');
  const latestSeq = store.latestReadingSeq();
  let aggregator: StatusSnapshot['aggregator'] = null;
  if (progressText !== undefined) {
    const p = JSON.parse(progressText) as { cursor: number; watermark: number | null };
    aggregator = { cursor: p.cursor, latestSeq, behind: latestSeq - p.cursor, readingTime: p.watermark };
  }
  const events24h: Record<string, number> = {};
  for (const e of store.listCounterEvents(now - 86_400_000)) events24h[e.kind] = (events24h[e.kind] ?? 0) + 1;
  const outbox = store.outboxStats(now);
  return {
    at: now,
    store: { path: store.path, fileBytes: stats.fileBytes, readings: stats.readings, rollups: stats.rollups },
    aggregator,
    outbox: { depth: outbox.depth, oldestUnsentAgeMs: outbox.oldestUnsentAgeMs },
    events24h,
    meters: store.listMeterHealth().map((h) => ({
      meterId: h.meterId,
      line: h.line,
      state: h.state,
      lastGoodAgeMs: h.lastGoodTs === null ? null : now - h.lastGoodTs,
      consecutiveFailures: h.consecutiveFailures,
      lastError: h.lastError,
    })),
  };
}

const METER_COLUMNS: Column[] = [
  { title: 'meter', width: 12, align: 'left' },
  { title: 'line', width: 10, align: 'left' },
  { title: 'state', width: 11, align: 'left' },
  { title: 'last good', width: 9, align: 'right' },
  { title: 'fails', width: 5, align: 'right' },
  { title: 'last error', width: 0, align: 'left' },
];

export function formatStatus(s: StatusSnapshot): string {
  const events = Object.entries(s.events24h);
  const total = events.reduce((a, [, n]) => a + n, 0);
  const a = s.aggregator;
  const head = [
    `pcf-edge status at ${utc(s.at)} UTC`,
    `store       ${bytes(s.store.fileBytes)}, ${s.store.readings} readings, ${s.store.rollups} rollups`,
    a === null
      ? 'aggregator  no progress recorded yet'
      : `aggregator  reading ${a.cursor} of ${a.latestSeq} (${a.behind} behind), reading time ${a.readingTime === null ? '-' : utc(a.readingTime)}`,
    `outbox      ${s.outbox.depth} unexported, oldest queued ${age(s.outbox.oldestUnsentAgeMs)} ago`,
    `events 24h  ${total}${total > 0 ? ` (${events.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    '',
  ].join('\n');
  if (s.meters.length === 0) return `${head}no meter health reported yet\n`;
  return (
    head +
    table(
      METER_COLUMNS,
      s.meters.map((m) => [
        m.meterId,
        m.line,
        m.state,
        age(m.lastGoodAgeMs),
        String(m.consecutiveFailures),
        m.lastError ?? '-',
      ]),
    )
  );
}

export interface StatusRun {
  render(now: number): string;
  /** Redraw interval when --watch was given, else null. */
  watchMs: number | null;
  help: boolean;
  close(): void;
}

export function prepareStatus(argv: string[]): StatusRun {
  const v = parse(
    argv,
    { ...COMMON_OPTIONS, watch: { type: 'boolean' }, interval: { type: 'string' }, json: { type: 'boolean' } },
    STATUS_HELP,
  );
  if (v.help) return { render: () => `${STATUS_HELP}\n`, watchMs: null, help: true, close: () => undefined };
  const watchMs = v.watch ? duration(v.interval ?? '2s', 'interval', STATUS_HELP) : null;
  const store = openReadOnly(v.store, STATUS_HELP);
  return {
    render: (now) =>
      v.json ? `${JSON.stringify(statusSnapshot(store, now), null, 2)}\n` : formatStatus(statusSnapshot(store, now)),
    watchMs,
    help: false,
    close: () => store.close(),
  };
}
