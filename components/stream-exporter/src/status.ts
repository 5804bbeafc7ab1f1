import type { Clock, Logger } from '@pcf-edge/core';
import type { GatewayStore } from '@pcf-edge/store';
import type { StreamExporterConfig } from './config';

/** What `pcf-edge status` shows for the exporter: store state owner `stream-exporter`, key `status` (JSON). */
export interface ExporterStatus {
  target: StreamExporterConfig['target'];
  stream: string;
  outboxDepth: number;
  oldestUnsentAgeMs: number | null;
  outboxCap: number;
  overCap: boolean;
  whenFull: StreamExporterConfig['whenFull'];
  reachable: boolean;
  sentRollups: number;
  sentMessages: number;
  droppedRollups: number;
  missingRollups: number;
  lastSequenceNumber: string | null;
  lastSentTs: number | null;
  lastError: string | null;
  lastErrorTs: number | null;
  updatedTs: number;
}

export const STATE_OWNER = 'stream-exporter';
export const STATE_KEY = 'status';
/** Outbox statistics and the status row are refreshed at most this often (ms; longer while counting is slow). */
const REFRESH_MS = 1000;

export function createStatusReporter(config: StreamExporterConfig, store: GatewayStore, clock: Clock, log: Logger) {
  const counters = { sentRollups: 0, sentMessages: 0, dropped: 0, missing: 0 };
  let reachable = false;
  let lastSequenceNumber: string | null = null;
  let lastSentTs: number | null = null;
  let lastError: string | null = null;
  let lastErrorTs: number | null = null;
  let stats = { depth: 0, oldestUnsentAgeMs: null as number | null };
  let refreshedAt = -Infinity;
  let refreshEveryMs = REFRESH_MS;
  let wasOverCap = false;

  function status(): ExporterStatus {
    return {
      target: config.target,
      stream: config.target === 'kinesis' ? (config.kinesisStreamName ?? '') : config.streamName,
      outboxDepth: stats.depth,
      oldestUnsentAgeMs: stats.oldestUnsentAgeMs,
      outboxCap: config.outboxCap,
      overCap: stats.depth > config.outboxCap,
      whenFull: config.whenFull,
      reachable,
      sentRollups: counters.sentRollups,
      sentMessages: counters.sentMessages,
      droppedRollups: counters.dropped,
      missingRollups: counters.missing,
      lastSequenceNumber,
      lastSentTs,
      lastError,
      lastErrorTs,
      updatedTs: clock.now(),
    };
  }

  function flush(): void {
    const now = clock.now();
    refreshedAt = now;
    const t0 = performance.now();
    const s = store.outboxStats(now);
    // Counting a backlog of a million rows takes tens of ms: refresh no more often than every 50 counts' time.
    refreshEveryMs = Math.max(REFRESH_MS, 50 * (performance.now() - t0));
    stats = { depth: s.depth, oldestUnsentAgeMs: s.oldestUnsentAgeMs };
    const st = status();
    if (st.overCap !== wasOverCap) {
      if (st.overCap)
        log.warn({ depth: st.outboxDepth, cap: config.outboxCap, whenFull: config.whenFull }, 'outbox over its cap');
      else log.info({ depth: st.outboxDepth }, 'outbox back under its cap');
      wasOverCap = st.overCap;
    }
    store.setState(STATE_OWNER, STATE_KEY, JSON.stringify(st));
  }

  function maybeFlush(): void {
    if (clock.now() - refreshedAt >= refreshEveryMs) flush();
  }

  return {
    missing(count: number): void {
      counters.missing += count;
    },
    status,
    flush,
    /** whenFull dropOldest: marks the oldest rows beyond the cap as `dropped` (logged, counted). */
    applyWhenFull(): void {
      maybeFlush();
      if (config.whenFull !== 'dropOldest' || stats.depth <= config.outboxCap) return;
      const excess = store.pendingOutbox(stats.depth - config.outboxCap);
      store.markOutboxSent(
        excess.map((r) => r.seq),
        'dropped',
        clock.now(),
      );
      counters.dropped += excess.length;
      log.error(
        { dropped: excess.length, cap: config.outboxCap },
        'outbox over its cap: oldest rows dropped (whenFull dropOldest)',
      );
      flush();
    },
    sent(rollups: number, sequenceNumber: string): void {
      counters.sentRollups += rollups;
      counters.sentMessages += 1;
      lastSequenceNumber = sequenceNumber;
      lastSentTs = clock.now();
    },
    ok(): void {
      reachable = true;
      maybeFlush();
    },
    failed(err: unknown, retryInMs: number): void {
      reachable = false;
      lastError = (err as Error).message;
      lastErrorTs = clock.now();
      log.warn({ err, retryInMs }, 'export failed; backing off');
      try {
        flush();
      } catch (flushErr) {
        log.error({ err: flushErr }, 'cannot write exporter status');
      }
    },
  };
}
