import type { Clock, Logger } from '@pcf-edge/core';
import {
  Persistence,
  Status,
  StrategyOnFull,
  StreamManagerError,
  type MessageStreamDefinition,
  type ReadMessagesOptions,
} from '@pcf-edge/stream-manager-client';
import { deleteDefinition, loadDefinitions, saveDefinition, type MessageDb, type StoredMessage } from './storage';

/** Live state of one stream; `oldest`..`next-1` are the stored sequence numbers (empty when oldest === next). */
export interface StreamState {
  def: MessageStreamDefinition;
  db: MessageDb;
  oldest: bigint;
  next: bigint;
  bytes: bigint;
  waiters: Set<() => void>;
  /** performance.now() of the last append (export batching: is data still streaming in?). */
  lastAppendAt: number;
}

/** Largest read reply assembled (bytes of payload); at least one message is always returned. */
const MAX_READ_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_READ = 10_000;

/**
 * The streams of the local Stream Manager: definitions, append with maxSize / strategyOnFull, reads that wait,
 * time-to-live expiry. All calls are synchronous SQLite work except `read`, which may wait for appends.
 */
export class StreamRegistry {
  private readonly streams = new Map<string, StreamState>();
  private readonly appendListeners = new Set<(name: string) => void>();
  /** Incremented whenever a stream is created, updated or deleted. */
  version = 0;

  constructor(
    private readonly storage: { file: MessageDb; memory: MessageDb },
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    for (const def of loadDefinitions(storage.file)) this.attach(def);
  }

  private attach(def: MessageStreamDefinition): StreamState {
    const db = def.persistence === Persistence.Memory ? this.storage.memory : this.storage.file;
    const s = db.stats(def.name);
    const next = s.newest === null ? 0n : s.newest + 1n;
    const state: StreamState = {
      def,
      db,
      oldest: s.oldest ?? next,
      next,
      bytes: s.bytes,
      waiters: new Set(),
      lastAppendAt: -Infinity,
    };
    this.streams.set(def.name, state);
    this.version++;
    return state;
  }

  onAppend(listener: (name: string) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  list(): string[] {
    return [...this.streams.keys()].sort();
  }

  all(): StreamState[] {
    return [...this.streams.values()];
  }

  get(name: unknown): StreamState {
    const s = typeof name === 'string' ? this.streams.get(name) : undefined;
    if (!s)
      throw new StreamManagerError(Status.ResourceNotFound, `message stream ${JSON.stringify(name)} does not exist`);
    return s;
  }

  create(def: MessageStreamDefinition): void {
    if (this.streams.has(def.name))
      throw new StreamManagerError(Status.InvalidRequest, `message stream ${def.name} already exists`);
    saveDefinition(this.storage.file, def);
    this.attach(def);
    this.log.info({ stream: def.name }, 'stream created');
  }

  update(def: MessageStreamDefinition): void {
    const s = this.get(def.name);
    if (def.persistence !== s.def.persistence) {
      throw new StreamManagerError(
        Status.UpdateNotAllowed,
        `persistence of ${def.name} cannot be changed by an update`,
      );
    }
    const kept = new Set((def.exportDefinition?.kinesis ?? []).map((k) => k.identifier));
    for (const id of s.db.exports(def.name).keys()) if (!kept.has(id)) s.db.deleteExport(def.name, id);
    saveDefinition(this.storage.file, def);
    s.def = def;
    this.version++;
    this.trimTo(s, s.def.maxSize ?? 0n);
    this.log.info({ stream: def.name }, 'stream updated');
  }

  delete(name: unknown): void {
    const s = this.get(name);
    s.db.deleteStream(s.def.name);
    deleteDefinition(this.storage.file, s.def.name);
    this.streams.delete(s.def.name);
    this.version++;
    for (const w of s.waiters) w();
    this.log.info({ stream: s.def.name }, 'stream deleted');
  }

  append(name: unknown, payload: Buffer): bigint {
    const s = this.get(name);
    const size = BigInt(payload.length);
    const maxSize = s.def.maxSize ?? 0n;
    if (size > maxSize) {
      throw new StreamManagerError(
        Status.RequestPayloadTooLarge,
        `message of ${size} bytes exceeds maxSize ${maxSize} of ${s.def.name}`,
      );
    }
    if (s.bytes + size > maxSize) {
      if (s.def.strategyOnFull === StrategyOnFull.RejectNewData) {
        throw new StreamManagerError(
          Status.InvalidRequest,
          `message stream ${s.def.name} is full (maxSize ${maxSize}, strategy RejectNewData)`,
        );
      }
      this.trimTo(s, maxSize - size);
    }
    const seq = s.next;
    s.db.append(s.def.name, seq, this.clock.now(), payload);
    s.next = seq + 1n;
    s.bytes += size;
    s.lastAppendAt = performance.now();
    for (const w of s.waiters) w();
    for (const l of this.appendListeners) l(s.def.name);
    return seq;
  }

  /** Drops the oldest messages until the stream holds at most `limit` bytes. */
  private trimTo(s: StreamState, limit: bigint): void {
    while (s.bytes > limit && s.oldest < s.next) {
      let cut = s.oldest - 1n;
      for (const row of s.db.oldestSizes(s.def.name, 256)) {
        cut = row.seq;
        s.bytes -= row.bytes;
        if (s.bytes <= limit) break;
      }
      s.db.deleteUpTo(s.def.name, cut);
      s.oldest = cut + 1n;
    }
  }

  /** Deletes messages older than each stream's timeToLiveMillis. */
  expire(): void {
    const now = this.clock.now();
    for (const s of this.streams.values()) {
      if (s.def.timeToLiveMillis === undefined) continue;
      const gone = s.db.expired(s.def.name, now - Number(s.def.timeToLiveMillis));
      if (gone.seq === null) continue;
      s.db.deleteUpTo(s.def.name, gone.seq);
      s.oldest = gone.seq + 1n;
      s.bytes -= gone.bytes;
    }
  }

  range(s: StreamState, from: bigint, limit: number): StoredMessage[] {
    return s.db.range(s.def.name, from < s.oldest ? s.oldest : from, limit);
  }

  /** ReadMessages: waits up to readTimeoutMillis for minMessageCount messages, else NotEnoughMessages (13). */
  async read(name: unknown, options: ReadMessagesOptions, signal: AbortSignal): Promise<StoredMessage[]> {
    const s = this.get(name);
    const min = options.minMessageCount ?? 1;
    const max = options.maxMessageCount ?? Math.max(min, DEFAULT_MAX_READ);
    const start = options.desiredStartSequenceNumber ?? s.oldest;
    const deadline = Date.now() + (options.readTimeoutMillis ?? 0);
    for (;;) {
      if (this.streams.get(s.def.name) !== s)
        throw new StreamManagerError(Status.ResourceNotFound, `message stream ${s.def.name} was deleted`);
      const rows = this.range(s, start, max);
      let bytes = 0;
      const cut = rows.findIndex((r, i) => (bytes += r.payload.length) > MAX_READ_BYTES && i > 0);
      const out = cut < 0 ? rows : rows.slice(0, cut);
      if (out.length >= min) return out;
      const wait = deadline - Date.now();
      if (wait <= 0 || signal.aborted) {
        throw new StreamManagerError(
          Status.NotEnoughMessages,
          `only ${out.length} of at least ${min} messages available from ${start}`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          s.waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, wait);
        s.waiters.add(done);
        signal.addEventListener('abort', done);
      });
    }
  }

  /** Releases every waiting read (they answer NotEnoughMessages or are dropped with their connection). */
  wakeAll(): void {
    for (const s of this.streams.values()) for (const w of [...s.waiters]) w();
  }
}
