import type { Clock, Logger } from '@pcf-edge/core';
import type { GatewayStore, OutboxRow } from '@pcf-edge/store';
import type { StreamExporterConfig } from './config';
import { buildMessages, MAX_MESSAGE_BYTES } from './messages';
import { pickRows } from './pick';
import type { RecordSink } from './sinks';
import { createStatusReporter, type ExporterStatus } from './status';

export interface StreamExporterDeps {
  store: GatewayStore;
  sink: RecordSink;
  clock: Clock;
  log: Logger;
  /** Largest message in bytes (tests lower it); default 1 MiB. */
  maxMessageBytes?: number;
}

export interface StreamExporter {
  start(): void;
  stop(): Promise<void>;
  /** One round: pick rows, append their messages, mark the acknowledged ones sent. Returns rollups sent. */
  drainOnce(): Promise<number>;
  status(): ExporterStatus;
}

/**
 * Drains the outbox into the sink. Rows are marked sent (with the destination's sequence number) only after the
 * append that carried them was acknowledged, so a crash or an outage at any point loses nothing: unacknowledged
 * rows are sent again (a duplicate is the same (id, revision)). Failures back off (doubling, capped).
 */
export function createStreamExporter(config: StreamExporterConfig, deps: StreamExporterDeps): StreamExporter {
  const { store, sink, clock, log } = deps;
  const reporter = createStatusReporter(config, store, clock, log);
  let ensured = false;
  let round = 0;
  let stopped = true;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { wake = undefined; resolve(); }, ms);
      wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
    });
  }

  function markMissing(rows: OutboxRow[]): void {
    if (rows.length === 0) return;
    log.error({ count: rows.length, rollupIds: rows.slice(0, 5).map((r) => r.rollupId) }, 'outbox rows whose rollup is gone from the store; marked sent as missing');
    store.markOutboxSent(rows.map((r) => r.seq), 'missing', clock.now());
    reporter.missing(rows.length);
  }

  async function drainOnce(): Promise<number> {
    if (!ensured) {
      await sink.ensure();
      ensured = true;
    }
    reporter.applyWhenFull();
    const groups = pickRows(store, config, round++);
    if (groups.length === 0) return 0;
    const ids = groups.flat().map((r) => r.rollupId);
    const stored = store.getRollups(ids);
    const now = new Date(clock.now());
    const planned = groups.flatMap((g) => {
      const { messages, missing } = buildMessages(g, stored, config, now, deps.maxMessageBytes ?? MAX_MESSAGE_BYTES);
      markMissing(missing);
      return messages;
    });
    const results = await Promise.allSettled(planned.map((m) => sink.append(m.data)));
    let sent = 0;
    let failure: unknown;
    results.forEach((r, i) => {
      const m = planned[i]!;
      if (r.status === 'fulfilled') {
        store.markOutboxSent(m.seqs, r.value, clock.now());
        reporter.sent(m.rollups, r.value);
        sent += m.rollups;
      } else {
        failure ??= r.reason;
      }
    });
    if (failure !== undefined) throw failure;
    return sent;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        const sent = await drainOnce();
        failures = 0;
        reporter.ok();
        if (sent === 0 && !stopped) await sleep(config.pollIntervalMs);
      } catch (err) {
        failures++;
        ensured = false;
        const delay = Math.min(config.initialBackoffMs * 2 ** (failures - 1), config.maxBackoffMs);
        reporter.failed(err, delay);
        if (!stopped) await sleep(delay);
      }
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      reporter.flush();
    },
    drainOnce,
    status: () => reporter.status(),
  };
}
