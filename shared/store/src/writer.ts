import { PcfError, type Logger, type Reading } from '@pcf-edge/core';
import { ReadingArrayRows, type ReadingRows } from './rows';

export interface ReadingWriterOptions {
  /** Flush as soon as this many readings are buffered. Default 500. */
  maxBatch?: number;
  /** Flush at most this long after the first buffered reading. Default 1000. */
  maxDelayMs?: number;
  /**
   * Upper bound on buffered readings while flushes keep failing (e.g. disk full). When reached, `write` and
   * `writeRows` throw ERR_STORE_FULL and the readings are not accepted. Default 100000.
   */
  maxBufferedReadings?: number;
  /** Called with a failed background flush's error (the readings stay buffered and are retried). Default: log it. */
  onError?: (err: unknown) => void;
}

export interface ReadingWriter {
  /** Accepts a reading; it is durable after the next flush. Throws when closed or when the buffer is full. */
  write(reading: Reading): void;
  /**
   * Accepts a block of readings (e.g. one poll's, in columns), all or none, behind those accepted before; the block
   * must not change afterwards. Throws when closed or when the buffer is full.
   */
  writeRows(rows: ReadingRows): void;
  /** Writes every buffered reading in one transaction; throws the store error and keeps them on failure. */
  flush(): void;
  /** Flushes and stops the timer; further writes throw. */
  close(): void;
  /** Readings accepted but not yet written. */
  readonly pending: number;
}

/**
 * Batches readings by count or by time. Guarantees: an accepted reading is written or still buffered (never
 * dropped) unless the process dies; order of writes is preserved. The delay timer is not unref'd, so a process
 * with buffered readings stays alive until they are flushed (at most maxDelayMs).
 */
export function createReadingWriter(
  insert: (blocks: readonly ReadingRows[]) => void,
  log: Logger,
  opts: ReadingWriterOptions = {},
): ReadingWriter {
  const maxBatch = opts.maxBatch ?? 500;
  const maxDelayMs = opts.maxDelayMs ?? 1000;
  const maxBuffered = opts.maxBufferedReadings ?? 100_000;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new PcfError('ERR_USAGE', `maxBatch must be an integer >= 1, got ${maxBatch}`);
  if (!(maxDelayMs >= 0)) throw new PcfError('ERR_USAGE', `maxDelayMs must be >= 0, got ${maxDelayMs}`);
  const onError =
    opts.onError ?? ((err: unknown) => log.error({ err }, 'reading writer flush failed; readings kept for retry'));
  let buffer: ReadingRows[] = [];
  let pending = 0;
  /** The buffered block `write` appends single readings to; null after a block from `writeRows` or a flush. */
  let tail: ReadingArrayRows | null = null;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function clearTimer(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  function flush(): void {
    clearTimer();
    if (pending === 0) return;
    const batch = buffer;
    const count = pending;
    buffer = [];
    pending = 0;
    tail = null;
    try {
      insert(batch);
    } catch (err) {
      buffer = batch.concat(buffer);
      pending += count;
      if (!closed) arm();
      throw err;
    }
  }

  function backgroundFlush(): void {
    try {
      flush();
    } catch (err) {
      onError(err);
    }
  }

  function arm(): void {
    if (timer === undefined) timer = setTimeout(backgroundFlush, maxDelayMs);
  }

  function admit(): void {
    if (closed) throw new PcfError('ERR_STORE', 'reading writer is closed');
    if (pending >= maxBuffered) {
      throw new PcfError(
        'ERR_STORE_FULL',
        `reading writer buffer holds ${pending} unwritten readings (maxBufferedReadings); the store is not accepting writes`,
        { pending },
      );
    }
  }

  function added(n: number): void {
    pending += n;
    if (pending >= maxBatch) backgroundFlush();
    else arm();
  }

  return {
    write(reading: Reading): void {
      admit();
      if (tail === null) {
        tail = new ReadingArrayRows();
        buffer.push(tail);
      }
      tail.readings.push(reading);
      added(1);
    },
    writeRows(rows: ReadingRows): void {
      admit();
      if (rows.length === 0) return;
      buffer.push(rows);
      tail = null;
      added(rows.length);
    },
    flush,
    close(): void {
      if (closed) return;
      closed = true;
      flush();
    },
    get pending(): number {
      return pending;
    },
  };
}
