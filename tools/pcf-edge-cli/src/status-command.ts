import {
  DEFAULT_HEALTH_LIMITS,
  gatewayHealth,
  gatewayStatus,
  type GatewayHealth,
  type GatewayStatus,
  type HealthLimits,
} from '@pcf-edge/store';
import { age, bytes, table, utc, type Column } from './format';
import { COMMON_OPTIONS, duration, openReadOnly, parse, STORE_HELP } from './options';

export const STATUS_HELP = `pcf-edge status — gateway health at a glance

Usage: pcf-edge status [--watch [--interval 2s]] [--json] [--stale 5m] [--max-export-lag 15m]
                       [--max-aggregation-lag 5m]

Per meter: state, age of the last good reading, consecutive failures, last error. Then the store size, the
aggregator's progress, the exporter (target reachable or not, last delivery, lag = age of the oldest undelivered
rollup, last error), the outbox, counter events in the last 24 hours by kind, and the verdict: healthy, or every
problem found. Unhealthy: the exporter has no status, a stale one, an unreachable target or a lag over the limit;
readings wait longer than the aggregation limit; a meter is failing, its circuit is open, or it has no good
reading for longer than --stale.

Options:
  --watch                    redraw until interrupted (Ctrl-C)
  --interval <dur>           redraw interval with --watch (default 2s)
  --json                     JSON snapshot, with the verdict under "health"
  --stale <dur>              a component or meter silent this long is unhealthy (default 5m)
  --max-export-lag <dur>     the oldest undelivered rollup may wait this long (default 15m)
  --max-aggregation-lag <dur> the oldest unaggregated reading may wait this long (default 5m)
${STORE_HELP}
  --help                     this text

Exit code (without --watch): 0 healthy, 3 unhealthy (the problems are printed), 1 store unreadable, 2 bad usage.`;

/** Exit code of `pcf-edge status` when the gateway is unhealthy (0 healthy, 1 and 2 as every command). */
export const UNHEALTHY_EXIT_CODE = 3;

export type StatusSnapshot = GatewayStatus & { health: GatewayHealth };

export function statusSnapshot(
  store: Parameters<typeof gatewayStatus>[0],
  now: number,
  limits = DEFAULT_HEALTH_LIMITS,
): StatusSnapshot {
  const status = gatewayStatus(store, now);
  return { ...status, health: gatewayHealth(status, limits) };
}

/** A line cut to 80 columns (the text view's width; --json has every word). */
const clip = (line: string): string => (line.length <= 80 ? line : `${line.slice(0, 79)}…`);

/** The exporter in one or two lines: target, reachable, last delivery, lag, status age; then its last error. */
function exporterLines(s: StatusSnapshot): string[] {
  const e = s.exporter;
  if (e === null) return ['exporter    no status recorded yet'];
  const delivered = e.lastSentTs === null ? 'never delivered' : `delivered ${age(s.at - e.lastSentTs)} ago`;
  const lines = [
    `exporter    ${e.target} ${e.reachable ? 'reachable' : 'UNREACHABLE'}, ${delivered}, lag ${age(e.lagMs)}, status ${age(e.statusAgeMs)} old`,
  ];
  if (e.lastError !== null)
    lines.push(
      `            last error ${age(e.lastErrorTs === null ? null : s.at - e.lastErrorTs)} ago: ${e.lastError}`,
    );
  return lines.map(clip);
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
    ...exporterLines(s),
    `outbox      ${s.outbox.depth} unexported, oldest queued ${age(s.outbox.oldestUnsentAgeMs)} ago`,
    `events 24h  ${total}${total > 0 ? ` (${events.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    s.health.healthy
      ? 'health      ok'
      : `health      UNHEALTHY\n${s.health.problems.map((p) => clip(`  - ${p}`)).join('\n')}`,
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
  render(now: number): { text: string; healthy: boolean };
  /** Redraw interval when --watch was given, else null. */
  watchMs: number | null;
  help: boolean;
  close(): void;
}

export function prepareStatus(argv: string[]): StatusRun {
  const v = parse(
    argv,
    {
      ...COMMON_OPTIONS,
      watch: { type: 'boolean' },
      interval: { type: 'string' },
      json: { type: 'boolean' },
      stale: { type: 'string' },
      'max-export-lag': { type: 'string' },
      'max-aggregation-lag': { type: 'string' },
    },
    STATUS_HELP,
  );
  if (v.help)
    return {
      render: () => ({ text: `${STATUS_HELP}\n`, healthy: true }),
      watchMs: null,
      help: true,
      close: () => undefined,
    };
  const watchMs = v.watch ? duration(v.interval ?? '2s', 'interval', STATUS_HELP) : null;
  const limit = (option: string, text: string | undefined, fallback: number): number =>
    text === undefined ? fallback : duration(text, option, STATUS_HELP);
  const limits: HealthLimits = {
    staleMs: limit('stale', v.stale, DEFAULT_HEALTH_LIMITS.staleMs),
    maxExportLagMs: limit('max-export-lag', v['max-export-lag'], DEFAULT_HEALTH_LIMITS.maxExportLagMs),
    maxAggregationLagMs: limit(
      'max-aggregation-lag',
      v['max-aggregation-lag'],
      DEFAULT_HEALTH_LIMITS.maxAggregationLagMs,
    ),
  };
  const store = openReadOnly(v.store, STATUS_HELP);
  return {
    render: (now) => {
      const snapshot = statusSnapshot(store, now, limits);
      const text = v.json ? `${JSON.stringify(snapshot, null, 2)}\n` : formatStatus(snapshot);
      return { text, healthy: snapshot.health.healthy };
    },
    watchMs,
    help: false,
    close: () => store.close(),
  };
}
