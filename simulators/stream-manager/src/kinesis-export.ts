import { randomUUID } from 'node:crypto';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { retryDelayMs, type Clock, type Logger, type RetrySettings } from '@pcf-edge/core';
import type { ExportStatus, KinesisConfig } from '@pcf-edge/stream-manager-client';
import type { ExportProgress } from './storage';
import type { StreamRegistry, StreamState } from './streams';

/**
 * Kinesis export per KinesisConfig, as AWS's Stream Manager does it: one record per message with a random UUID
 * partition key, PutRecords batches of up to `batchSize` (≤ 500 records, ≤ 5 MiB), sent when the batch is full or
 * `batchIntervalMillis` passed (unset ⇒ as soon as possible), lower `priority` first. Records Kinesis rejected
 * are retried; `lastExportedSequenceNumber` advances only over a gap-free run of acknowledged messages, so a
 * failed record blocks advancement past it (records after it that were acknowledged are not resent).
 */
export interface KinesisExportSettings {
  /** Wait of the export's clock after a failed PutRecords call, by the shared retry policy (ADR 0170). */
  retry: RetrySettings;
  /** Export batches running at once across all streams (one per export at most). */
  concurrency: number;
  /** How often the scheduler looks for due batches when nothing was appended (ms). */
  tickMs: number;
  /**
   * Without batchIntervalMillis ("as soon as possible"): while appends keep arriving, a batch that is not full waits
   * up to `lingerMs` (wall time) for more messages; it goes at once when the stream has been quiet for `quietMs`.
   */
  lingerMs: number;
  quietMs: number;
}

const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_CALL_BYTES = 5 * 1024 * 1024;

interface ExportTask {
  key: string;
  stream: string;
  config: KinesisConfig;
  progress: ExportProgress;
  /** Acknowledged sequence numbers beyond lastExportedSeq. */
  acked: Set<bigint>;
  running: boolean;
  failures: number;
  retryAt: number;
  errorMessage: string | undefined;
  /** performance.now() since when unsent messages wait (linger); undefined when none wait. */
  pendingSince: number | undefined;
}

export interface KinesisExporter {
  start(): void;
  stop(): Promise<void>;
  statuses(stream: string): ExportStatus[];
  wake(): void;
}

export function createKinesisExporter(
  settings: KinesisExportSettings,
  deps: { registry: StreamRegistry; kinesis: KinesisClient; clock: Clock; log: Logger },
): KinesisExporter {
  const { registry, kinesis, clock, log } = deps;
  const tasks = new Map<string, ExportTask>();
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let syncedVersion = -1;
  let wakeQueued = false;

  /** Reconciles tasks with the current stream definitions (created, updated, deleted streams). */
  function sync(): void {
    if (syncedVersion === registry.version) return;
    syncedVersion = registry.version;
    const live = new Set<string>();
    for (const s of registry.all()) {
      const stored = s.db.exports(s.def.name);
      for (const config of s.def.exportDefinition?.kinesis ?? []) {
        const key = `${s.def.name}\u0000${config.identifier}`;
        live.add(key);
        const t = tasks.get(key);
        if (t) {
          t.config = config;
          continue;
        }
        const start = config.startSequenceNumber ?? 0n;
        const progress = stored.get(config.identifier) ?? {
          lastExportedSeq: start - 1n,
          exportedBytes: 0n,
          exportedCount: 0n,
          lastExportTime: 0,
        };
        tasks.set(key, {
          key,
          stream: s.def.name,
          config,
          progress,
          acked: new Set(),
          running: false,
          failures: 0,
          retryAt: 0,
          errorMessage: undefined,
          pendingSince: undefined,
        });
      }
    }
    for (const key of tasks.keys()) if (!live.has(key)) tasks.delete(key);
  }

  function streamOf(t: ExportTask): StreamState | undefined {
    return registry.all().find((s) => s.def.name === t.stream);
  }

  function due(t: ExportTask, s: StreamState, now: number): boolean {
    if (t.running || t.config.disabled === true || now < t.retryAt) return false;
    const from = t.progress.lastExportedSeq + 1n > s.oldest ? t.progress.lastExportedSeq + 1n : s.oldest;
    const pending = s.next - from - BigInt(t.acked.size);
    if (pending <= 0n) {
      t.pendingSince = undefined;
      return false;
    }
    const batchSize = BigInt(t.config.batchSize ?? 500);
    if (t.config.batchIntervalMillis !== undefined) {
      return pending >= batchSize || now - t.progress.lastExportTime >= t.config.batchIntervalMillis;
    }
    // As soon as possible, but in full batches while data streams in (ADR 0131): a full batch (records, or bytes
    // estimated from the stream's average message size) goes now; otherwise once the stream is quiet or the
    // oldest waiting message has lingered long enough.
    const wall = performance.now();
    t.pendingSince ??= wall;
    const stored = s.next - s.oldest;
    const estBytes = stored > 0n ? (s.bytes * pending) / stored : 0n;
    if (pending >= batchSize || estBytes >= BigInt(MAX_CALL_BYTES)) return true;
    const quietIn = s.lastAppendAt + settings.quietMs - wall;
    const lingerIn = t.pendingSince + settings.lingerMs - wall;
    if (quietIn <= 0 || lingerIn <= 0) return true;
    recheckIn(Math.min(quietIn, lingerIn));
    return false;
  }

  /** Runs the scheduler again after `ms` (one timer at a time, the earliest wins). */
  let recheckAt = Infinity;
  let recheckTimer: NodeJS.Timeout | undefined;
  function recheckIn(ms: number): void {
    const at = performance.now() + ms;
    if (at >= recheckAt) return;
    if (recheckTimer) clearTimeout(recheckTimer);
    recheckAt = at;
    recheckTimer = setTimeout(
      () => {
        recheckTimer = undefined;
        recheckAt = Infinity;
        schedule();
      },
      Math.ceil(ms) + 1,
    );
  }

  function schedule(): void {
    if (stopped) return;
    sync();
    const now = clock.now();
    const ready: [ExportTask, StreamState][] = [];
    for (const t of tasks.values()) {
      const s = streamOf(t);
      if (s && due(t, s, now)) ready.push([t, s]);
    }
    ready.sort((a, b) => (a[0].config.priority ?? 10) - (b[0].config.priority ?? 10));
    for (const [t, s] of ready) {
      if (running.size >= settings.concurrency) break;
      t.running = true;
      const p = runBatch(t, s).finally(() => {
        t.running = false;
        t.pendingSince = undefined;
        running.delete(p);
        schedule();
      });
      running.add(p);
    }
  }

  async function runBatch(t: ExportTask, s: StreamState): Promise<void> {
    const from = t.progress.lastExportedSeq + 1n > s.oldest ? t.progress.lastExportedSeq + 1n : s.oldest;
    const limit = t.config.batchSize ?? 500;
    const batch: { seq: bigint; payload: Buffer }[] = [];
    let bytes = 0;
    // Read in small chunks: a batch is cut at `limit` records or 5 MiB, whichever comes first.
    let next = from;
    let full = false;
    while (!full) {
      const chunk = registry.range(s, next, 16);
      if (chunk.length === 0) break;
      for (const m of chunk) {
        next = m.seq + 1n;
        if (t.acked.has(m.seq)) continue;
        if (m.payload.length > MAX_RECORD_BYTES) {
          log.error(
            { stream: t.stream, seq: m.seq.toString(), bytes: m.payload.length },
            'message exceeds the Kinesis record limit; not exported',
          );
          t.acked.add(m.seq);
          continue;
        }
        if (batch.length >= limit || (batch.length > 0 && bytes + m.payload.length > MAX_CALL_BYTES)) {
          full = true;
          break;
        }
        batch.push(m);
        bytes += m.payload.length;
      }
    }
    if (batch.length > 0) await put(t, batch);
    advance(t, s);
  }

  async function put(t: ExportTask, batch: { seq: bigint; payload: Buffer }[]): Promise<void> {
    try {
      const reply = await kinesis.send(
        new PutRecordsCommand({
          StreamName: t.config.kinesisStreamName,
          Records: batch.map((m) => ({ Data: m.payload, PartitionKey: randomUUID() })),
        }),
      );
      const results = reply.Records ?? [];
      let failed = 0;
      batch.forEach((m, i) => {
        const r = results[i];
        if (r && r.ErrorCode === undefined && r.SequenceNumber !== undefined) {
          t.acked.add(m.seq);
          t.progress.exportedBytes += BigInt(m.payload.length);
          t.progress.exportedCount += 1n;
        } else {
          failed++;
          t.errorMessage = `${r?.ErrorCode ?? 'NoResult'}: ${r?.ErrorMessage ?? 'record not acknowledged'}`;
        }
      });
      if (failed === 0) {
        t.failures = 0;
        t.errorMessage = undefined;
        t.retryAt = 0;
      } else {
        backoff(t);
        log.warn(
          { stream: t.stream, export: t.config.identifier, failed, error: t.errorMessage },
          'kinesis rejected records; retrying them',
        );
      }
    } catch (err) {
      t.errorMessage = (err as Error).message;
      backoff(t);
      log.warn(
        {
          stream: t.stream,
          export: t.config.identifier,
          err: { message: t.errorMessage },
          retryInMs: t.retryAt - clock.now(),
        },
        'kinesis PutRecords failed',
      );
    }
  }

  function backoff(t: ExportTask): void {
    t.failures++;
    t.retryAt = clock.now() + retryDelayMs(settings.retry, t.failures);
  }

  /** Moves lastExportedSeq over the gap-free run of acknowledged (or expired) messages and persists it. */
  function advance(t: ExportTask, s: StreamState): void {
    let last = t.progress.lastExportedSeq;
    if (last + 1n < s.oldest) last = s.oldest - 1n;
    while (t.acked.delete(last + 1n)) last++;
    for (const seq of t.acked) if (seq <= last) t.acked.delete(seq);
    if (last === t.progress.lastExportedSeq && t.failures > 0) return;
    t.progress.lastExportedSeq = last;
    t.progress.lastExportTime = clock.now();
    if (registry.all().includes(s) && tasks.has(t.key)) s.db.putExport(t.stream, t.config.identifier, t.progress);
  }

  return {
    start() {
      stopped = false;
      timer = setInterval(schedule, settings.tickMs);
      timer.unref();
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (recheckTimer) clearTimeout(recheckTimer);
      await Promise.allSettled([...running]);
    },
    wake() {
      if (wakeQueued || stopped) return;
      wakeQueued = true;
      setImmediate(() => {
        wakeQueued = false;
        schedule();
      });
    },
    statuses(stream) {
      sync();
      return [...tasks.values()]
        .filter((t) => t.stream === stream)
        .map((t) => ({
          exportConfigIdentifier: t.config.identifier,
          lastExportedSequenceNumber: t.progress.lastExportedSeq,
          lastExportTime: t.progress.lastExportTime,
          errorMessage: t.errorMessage,
          exportedBytesFromStream: t.progress.exportedBytes,
          exportedMessagesCount: t.progress.exportedCount,
        }));
    },
  };
}
