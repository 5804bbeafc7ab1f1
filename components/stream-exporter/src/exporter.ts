import { retryDelayMs, sleep, type BatchSigner, type Clock, type Logger } from '@pcf-edge/core';
import type { GatewayStore } from '@pcf-edge/store';
import type { StreamExporterConfig } from './config';
import { pendingReader, type PendingRow } from './bodies';
import { buildMessages, MAX_MESSAGE_BYTES, type PlannedMessage } from './messages';
import { RowPicker } from './pick';
import type { RecordSink } from './sinks';
import { COMPONENT_NAME, siteClaimsOf } from './site-claims';
import { createStatusReporter, type ExporterStatus } from './status';

export interface StreamExporterDeps {
  store: GatewayStore;
  sink: RecordSink;
  clock: Clock;
  log: Logger;
  /** Largest message in bytes (tests lower it); default 1 MiB. */
  maxMessageBytes?: number;
  /** Check every message against the rollup-batch schema before sending (default false; tests turn it on). */
  validateMessages?: boolean;
  /** Signs every message with the gateway's key (the cloud dead-letters unsigned batches); main.ts always gives one. */
  signer?: BatchSigner;
  /** Where the configuration comes from, for messages naming it (a file path; Greengrass). */
  configSource?: string;
}

/**
 * Largest batch document whose signed form (JWS: base64url payload, 4/3 of it, plus at most 512 bytes of header
 * and signature) still fits in `maxBytes`.
 */
export const signedBudget = (maxBytes: number) => Math.floor(((maxBytes - 512) * 3) / 4);

export interface StreamExporter {
  start(): void;
  stop(): Promise<void>;
  /** Fills the in-flight window once and waits for every append. Returns rollups sent; throws the first failure. */
  drainOnce(): Promise<number>;
  status(): ExporterStatus;
}

interface PendingMark {
  message: PlannedMessage;
  sequenceNumber: string;
  resolve(): void;
  reject(err: unknown): void;
}

interface Flight {
  message: PlannedMessage;
  live: boolean;
  done: Promise<void>;
}

/**
 * Drains the outbox into the sink with up to `inFlight` appends outstanding. Rows are marked sent (with the
 * destination's sequence number) only after the append that carried them was acknowledged, so a crash or an
 * outage at any point loses nothing: unacknowledged rows are sent again (a duplicate is the same (id, revision)).
 * After a failure every outstanding append settles, then the exporter waits by its retry policy and resumes
 * from the oldest unsent row.
 */
export function createStreamExporter(config: StreamExporterConfig, deps: StreamExporterDeps): StreamExporter {
  const { store, sink, clock, log } = deps;
  // Its site and gateway id must be the aggregator's: a contradiction throws ERR_CONFIG_INVALID naming both places.
  store.publishSiteClaims(COMPONENT_NAME, deps.configSource ?? 'configuration', siteClaimsOf(config));
  const reporter = createStatusReporter(config, store, clock, log);
  const picker = new RowPicker(pendingReader(store), config);
  const flights = new Set<Flight>();
  const inFlightSeqs = new Set<number>();
  let failure: unknown;
  let ensured = false;
  let stopped = true;
  let loop: Promise<void> | undefined;
  /** Aborted by stop(); backoff and idle polling sleep on the exporter's clock (simulated time on a ScaledClock). */
  let stopping = new AbortController();

  // Acknowledged messages are marked sent in one store transaction per event-loop turn (not one per message).
  let marks: PendingMark[] = [];
  function flushMarks(): void {
    const batch = marks;
    marks = [];
    try {
      store.markOutboxSentMany(
        batch.map((m) => ({ seqs: m.message.seqs, sequenceNumber: m.sequenceNumber })),
        clock.now(),
      );
    } catch (err) {
      for (const m of batch) m.reject(err);
      return;
    }
    for (const m of batch) {
      reporter.sent(m.message.rollups, m.sequenceNumber);
      m.resolve();
    }
  }
  function markSent(message: PlannedMessage, sequenceNumber: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (marks.length === 0) setImmediate(flushMarks);
      marks.push({ message, sequenceNumber, resolve, reject });
    });
  }

  function markMissing(rows: PendingRow[]): void {
    if (rows.length === 0) return;
    log.error(
      { count: rows.length, rollupIds: rows.slice(0, 5).map((r) => r.rollupId) },
      'outbox rows whose rollup is gone from the store; marked sent as missing',
    );
    store.markOutboxSent(
      rows.map((r) => r.seq),
      'missing',
      clock.now(),
    );
    reporter.missing(rows.length);
  }

  function launch(message: PlannedMessage, live: boolean): void {
    for (const s of message.seqs) inFlightSeqs.add(s);
    const flight: Flight = { message, live, done: Promise.resolve() };
    // The rows stay "in flight" (never picked again) until their sent mark is committed.
    flight.done = sink
      .append(message.data)
      .then((sequenceNumber) => markSent(message, sequenceNumber))
      .then(
        () => undefined,
        (err: unknown) => {
          failure ??= err;
        },
      )
      .finally(() => {
        flights.delete(flight);
        for (const s of message.seqs) inFlightSeqs.delete(s);
      });
    flights.add(flight);
  }

  /** Starts appends until `inFlight` are outstanding or nothing is left to pick. */
  function fill(): void {
    while (flights.size < config.inFlight && failure === undefined) {
      let backlogAfter = 0;
      for (const f of flights) if (!f.live) backlogAfter = Math.max(backlogAfter, ...f.message.seqs);
      const { rows, live } = picker.next(inFlightSeqs, backlogAfter);
      if (rows.length === 0) return;
      const maxBytes = deps.maxMessageBytes ?? MAX_MESSAGE_BYTES;
      const { messages, missing } = buildMessages(
        rows,
        config,
        new Date(clock.now()),
        deps.signer ? signedBudget(maxBytes) : maxBytes,
        deps.validateMessages ?? false,
      );
      markMissing(missing);
      for (const m of messages) launch(deps.signer ? { ...m, data: deps.signer.sign(m.data) } : m, live);
    }
  }

  async function settleAll(): Promise<void> {
    await Promise.allSettled([...flights].map((f) => f.done));
  }

  function takeFailure(): unknown {
    const f = failure;
    failure = undefined;
    return f;
  }

  async function drainOnce(): Promise<number> {
    reporter.applyWhenFull();
    if (!ensured) {
      await sink.ensure();
      ensured = true;
    }
    const before = reporter.status().sentRollups;
    fill();
    await settleAll();
    const f = takeFailure();
    if (f !== undefined) throw f;
    return reporter.status().sentRollups - before;
  }

  async function step(): Promise<void> {
    reporter.applyWhenFull();
    if (!ensured) {
      await sink.ensure();
      ensured = true;
    }
    fill();
    if (flights.size === 0) {
      reporter.ok();
      await sleep(config.pollIntervalMs, { clock, signal: stopping.signal });
      return;
    }
    await Promise.race([...flights].map((f) => f.done));
    if (failure !== undefined) {
      await settleAll();
      throw takeFailure();
    }
    reporter.ok();
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        await step();
        failures = 0;
      } catch (err) {
        failures++;
        ensured = false;
        picker.restart();
        const delay = retryDelayMs(config.retry, failures);
        reporter.failed(err, delay);
        if (!stopped) await sleep(delay, { clock, signal: stopping.signal });
      }
    }
    await settleAll();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      stopping = new AbortController();
      loop = run();
    },
    async stop() {
      stopped = true;
      stopping.abort();
      await loop;
      reporter.flush();
    },
    drainOnce,
    status: () => reporter.status(),
  };
}
