import type { GatewayStore } from './store';

/**
 * The gateway's state as every edge component records it in the store, read back in one snapshot for operators
 * (`pcf-edge status`) and for the health topic, and the health verdict over it (ADR 0203). Read-only.
 *
 * The state rows it reads are the components' contracts: the aggregator's progress (owner `lineAggregator`, key
 * `progress`: `{ cursor, watermark }`), the exporter's status (owner `stream-exporter`, key `status`, refreshed at
 * least every second while it runs), the collectors' meter health rows.
 */
export interface GatewayStatus {
  at: number;
  store: { path: string; fileBytes: number; readings: number; rollups: number };
  aggregator: {
    cursor: number;
    latestSeq: number;
    behind: number;
    readingTime: number | null;
    /** readTs of the oldest reading not yet aggregated; null when none waits. */
    oldestWaitingReadTs: number | null;
  } | null;
  outbox: { depth: number; oldestUnsentAgeMs: number | null };
  exporter: {
    target: string;
    stream: string;
    reachable: boolean;
    /** Export lag: age of the oldest rollup not yet delivered (0 when none waits), ms. */
    lagMs: number;
    lastSentTs: number | null;
    lastError: string | null;
    lastErrorTs: number | null;
    /** Age of the exporter's status row, ms: grows when the exporter is not running. */
    statusAgeMs: number;
  } | null;
  events24h: Record<string, number>;
  meters: {
    meterId: string;
    line: string;
    collector: string;
    state: string;
    lastGoodAgeMs: number | null;
    consecutiveFailures: number;
    lastError: string | null;
  }[];
}

/** When a component counts as unhealthy (ms). */
export interface HealthLimits {
  /** A component that has not updated its state for longer is taken as not running. */
  staleMs: number;
  /** The oldest undelivered rollup may wait this long. */
  maxExportLagMs: number;
  /** The oldest unaggregated reading may wait this long. */
  maxAggregationLagMs: number;
}

export const DEFAULT_HEALTH_LIMITS: Readonly<HealthLimits> = {
  staleMs: 5 * 60_000,
  maxExportLagMs: 15 * 60_000,
  maxAggregationLagMs: 5 * 60_000,
};

export interface GatewayHealth {
  healthy: boolean;
  /** One line per problem, starting with the component (or meter) it concerns. */
  problems: string[];
}

interface ExporterRow {
  target: string;
  stream: string;
  reachable: boolean;
  outboxDepth: number;
  lastSentTs: number | null;
  lastError: string | null;
  lastErrorTs: number | null;
  updatedTs: number;
}

function aggregatorOf(store: GatewayStore): GatewayStatus['aggregator'] {
  const progressText = store.getState('lineAggregator', 'progress');
  if (progressText === undefined) return null;
  const p = JSON.parse(progressText) as { cursor: number; watermark: number | null };
  const latestSeq = store.latestReadingSeq();
  const [next] = latestSeq > p.cursor ? store.readingsAfter(p.cursor, 1) : [];
  return {
    cursor: p.cursor,
    latestSeq,
    behind: latestSeq - p.cursor,
    readingTime: p.watermark,
    oldestWaitingReadTs: next?.readTs ?? null,
  };
}

function exporterOf(store: GatewayStore, now: number, oldestUnsentAgeMs: number | null): GatewayStatus['exporter'] {
  const text = store.getState('stream-exporter', 'status');
  if (text === undefined) return null;
  const e = JSON.parse(text) as ExporterRow;
  return {
    target: e.target,
    stream: e.stream,
    reachable: e.reachable,
    lagMs: oldestUnsentAgeMs ?? 0,
    lastSentTs: e.lastSentTs,
    lastError: e.lastError,
    lastErrorTs: e.lastErrorTs,
    statusAgeMs: Math.max(0, now - e.updatedTs),
  };
}

export function gatewayStatus(store: GatewayStore, now: number): GatewayStatus {
  const stats = store.stats();
  const events24h: Record<string, number> = {};
  for (const e of store.listCounterEvents(now - 86_400_000)) events24h[e.kind] = (events24h[e.kind] ?? 0) + 1;
  const outbox = store.outboxStats(now);
  return {
    at: now,
    store: { path: store.path, fileBytes: stats.fileBytes, readings: stats.readings, rollups: stats.rollups },
    aggregator: aggregatorOf(store),
    outbox: { depth: outbox.depth, oldestUnsentAgeMs: outbox.oldestUnsentAgeMs },
    exporter: exporterOf(store, now, outbox.oldestUnsentAgeMs),
    events24h,
    meters: store.listMeterHealth().map((h) => ({
      meterId: h.meterId,
      line: h.line,
      collector: h.collector,
      state: h.state,
      lastGoodAgeMs: h.lastGoodTs === null ? null : now - h.lastGoodTs,
      consecutiveFailures: h.consecutiveFailures,
      lastError: h.lastError,
    })),
  };
}

const minutes = (ms: number): string => (ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`);

/** Every reason the gateway is unhealthy (none: healthy), per component, from one snapshot. */
export function gatewayHealth(s: GatewayStatus, limits: Readonly<HealthLimits> = DEFAULT_HEALTH_LIMITS): GatewayHealth {
  const problems: string[] = [];
  const e = s.exporter;
  if (e === null) problems.push('stream-exporter: no status recorded (it has not run against this store)');
  else {
    if (e.statusAgeMs > limits.staleMs)
      problems.push(`stream-exporter: last status ${minutes(e.statusAgeMs)} ago (not running?)`);
    if (!e.reachable)
      problems.push(`stream-exporter: ${e.target} unreachable${e.lastError === null ? '' : `: ${e.lastError}`}`);
    if (e.lagMs > limits.maxExportLagMs)
      problems.push(
        `stream-exporter: oldest undelivered rollup waits ${minutes(e.lagMs)} (limit ${minutes(limits.maxExportLagMs)})`,
      );
  }
  const a = s.aggregator;
  if (a === null && s.store.readings > 0)
    problems.push(`line-aggregator: no progress recorded while ${s.store.readings} readings wait`);
  if (a?.oldestWaitingReadTs != null && s.at - a.oldestWaitingReadTs > limits.maxAggregationLagMs)
    problems.push(
      `line-aggregator: ${a.behind} readings wait, the oldest ${minutes(s.at - a.oldestWaitingReadTs)} (limit ${minutes(limits.maxAggregationLagMs)})`,
    );
  for (const m of s.meters) {
    if (m.state === 'failing' || m.state === 'circuitOpen')
      problems.push(`${m.collector} meter ${m.meterId}: ${m.state}${m.lastError === null ? '' : `: ${m.lastError}`}`);
    else if (m.lastGoodAgeMs !== null && m.lastGoodAgeMs > limits.staleMs)
      problems.push(`${m.collector} meter ${m.meterId}: no good reading for ${minutes(m.lastGoodAgeMs)}`);
  }
  return { healthy: problems.length === 0, problems };
}
