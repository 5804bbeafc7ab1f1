import { existsSync, statSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import {
  isPcfError,
  PcfError,
  silentLogger,
  type Logger,
  type Reading,
  type Rollup,
  type SiteClaim,
  type SiteClaimSink,
  type SiteModel,
} from '@pcf-edge/core';
import { toStoreError } from './errors';
import { openDatabase, type OpenOptions } from './open';
import { prune, type PruneOptions, type PruneResult } from './retention';
import * as rollups from './rollups';
import {
  fillValueParams,
  VALUE_PARAMS,
  INSERT_VALUE_SQL,
  insertValuesSql,
  ReadingArrayRows,
  toAnchor,
  toCounterEvent,
  toMeterHealth,
  toStoredReading,
  type AnchorRow,
  type EventRow,
  type HealthRow,
  type ReadingRow,
  type ReadingRows,
} from './rows';
import { SeriesIds } from './series';
import * as site from './site-model';
import { createSizeCap } from './size-cap';
import { StatementCache } from './statements';
import type {
  CompactReading,
  CounterAnchor,
  CounterEvent,
  MeterHealth,
  OutboxRow,
  StoredReading,
  StoredRollup,
} from './types';
import { createReadingWriter, type ReadingWriter, type ReadingWriterOptions } from './writer';

/** Readings per multi-row INSERT (6 parameters each; SQLite allows 32,766 per statement). */
const ROWS_PER_INSERT = 32;

export interface StoreOptions extends OpenOptions {
  log?: Logger;
  /** SQLite `mmap_size` for this connection (e.g. for an exporter's random lookups of rollups by id). */
  mmapBytes?: number;
}

/** Opens (and for read-write, creates and migrates) the gateway store at `path`. Throws ERR_STORE / ERR_STORE_FULL. */
export function openStore(path: string, opts: StoreOptions = {}): GatewayStore {
  return new GatewayStore(path, opts);
}

/**
 * One connection to the shared gateway store. Every write runs in an IMMEDIATE transaction (the write lock is
 * taken up front, so WAL readers never hit an unretryable SQLITE_BUSY on upgrade); lock waits use busy_timeout.
 * Methods are synchronous. Every failure surfaces as PcfError ERR_STORE, or ERR_STORE_FULL when the disk is full.
 */
export class GatewayStore implements SiteClaimSink {
  readonly db: Database;
  readonly readonly: boolean;
  private readonly st: StatementCache;
  private readonly log: Logger;
  private readonly insertBatch: (blocks: readonly ReadingRows[]) => void;
  /** Applies the soak's injected disk-full flag (size-cap.ts); a no-op unless its env variable is set. */
  private readonly sizeCap: () => void;

  constructor(
    readonly path: string,
    opts: StoreOptions = {},
  ) {
    this.readonly = opts.readonly === true;
    this.log = opts.log ?? silentLogger();
    this.db = openDatabase(path, opts);
    this.st = new StatementCache(this.db);
    if (opts.mmapBytes !== undefined) this.db.pragma(`mmap_size = ${Math.max(0, Math.floor(opts.mmapBytes))}`);
    this.sizeCap = this.readonly ? () => undefined : createSizeCap(this.db);
    // Readings go in by ROWS_PER_INSERT per statement (one parameter array reused, filled across blocks), the rest
    // one by one: per row, a statement step and its JS→C call cost about as much as binding the row. Each row is
    // filed under its series id (ADR 0268): no text is bound per reading but a quality reason.
    const series = new SeriesIds(this.st);
    const params = new Array<unknown>(ROWS_PER_INSERT * VALUE_PARAMS);
    const many = insertValuesSql(ROWS_PER_INSERT);
    const tx = this.db.transaction((blocks: readonly ReadingRows[]) => {
      const stmt = this.st.get(many);
      let n = 0;
      for (const block of blocks) {
        for (let i = 0; i < block.length; i++) {
          const r = block.readingAt(i);
          fillValueParams(params, n * VALUE_PARAMS, series.idOf(r), r);
          if (++n === ROWS_PER_INSERT) {
            stmt.run(params);
            n = 0;
          }
        }
      }
      const one = this.st.get(INSERT_VALUE_SQL);
      for (let j = 0; j < n; j++) one.run(params.slice(j * VALUE_PARAMS, (j + 1) * VALUE_PARAMS));
    });
    this.insertBatch = (blocks) => {
      // Nested in a caller's transaction, this one commits only with it: cache no series id created here.
      const outermost = !this.db.inTransaction;
      try {
        tx.immediate(blocks);
      } catch (err) {
        series.rollback();
        throw err;
      }
      if (outermost) series.commit();
      else series.rollback();
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in one IMMEDIATE transaction (a savepoint when nested); rolls back when it throws. */
  transaction<T>(fn: () => T): T {
    return this.write('transaction', () => this.db.transaction(fn).immediate());
  }

  // ---- readings ----

  /** Appends readings in one transaction; they receive increasing seq numbers in array order. */
  insertReadings(readings: Reading[]): void {
    this.insertReadingRows([new ReadingArrayRows(readings)]);
  }

  /** Appends the rows of every block in one transaction, with increasing seq numbers in block and row order. */
  insertReadingRows(blocks: readonly ReadingRows[]): void {
    if (!blocks.some((b) => b.length > 0)) return;
    this.write('insertReadings', () => this.insertBatch(blocks));
  }

  createReadingWriter(opts?: ReadingWriterOptions): ReadingWriter {
    this.assertWritable('createReadingWriter');
    return createReadingWriter((blocks) => this.insertReadingRows(blocks), this.log, opts);
  }

  /** Up to `limit` readings with seq > `seq`, ascending. Loop with the last seq returned as the next cursor. */
  readingsAfter(seq: number, limit: number): StoredReading[] {
    return this.read('readingsAfter', () =>
      (this.st.get('SELECT * FROM readings WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as ReadingRow[]).map(
        toStoredReading,
      ),
    );
  }

  /**
   * `readingsAfter` in compact form for bulk consumers: one array per reading (CompactReading), no per-row object
   * and only the columns needed to apply a reading, several times cheaper per row. Same cursor contract.
   */
  readingRowsAfter(seq: number, limit: number): CompactReading[] {
    const sql =
      'SELECT v.seq, s.meter_id, s.point, v.value, v.source_ts, v.read_ts, v.quality = 0, s.meter_serial ' +
      'FROM reading_values v CROSS JOIN reading_series s ON s.id = v.series WHERE v.seq > ? ORDER BY v.seq LIMIT ?';
    return this.read('readingRowsAfter', () => this.st.get(sql).raw(true).all(seq, limit) as CompactReading[]);
  }

  /** Highest seq ever assigned (survives pruning); 0 when no reading was ever written. */
  latestReadingSeq(): number {
    return this.read('latestReadingSeq', () => {
      const row = this.st.get("SELECT seq FROM sqlite_sequence WHERE name = 'reading_values'").get() as
        { seq: number } | undefined;
      return row?.seq ?? 0;
    });
  }

  // ---- meter health ----

  upsertMeterHealth(rows: MeterHealth[]): void {
    const sql = `INSERT INTO meter_health (meter_id, site, line, collector, state, last_good_ts, last_read_ts, consecutive_failures, last_error, updated_ts)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (meter_id) DO UPDATE SET site = excluded.site, line = excluded.line, collector = excluded.collector,
        state = excluded.state, last_good_ts = excluded.last_good_ts, last_read_ts = excluded.last_read_ts,
        consecutive_failures = excluded.consecutive_failures, last_error = excluded.last_error, updated_ts = excluded.updated_ts`;
    this.writeTx('upsertMeterHealth', () => {
      const stmt = this.st.get(sql);
      for (const h of rows) {
        stmt.run(
          h.meterId,
          h.site,
          h.line,
          h.collector,
          h.state,
          h.lastGoodTs,
          h.lastReadTs,
          h.consecutiveFailures,
          h.lastError,
          h.updatedTs,
        );
      }
    });
  }

  listMeterHealth(): MeterHealth[] {
    return this.read('listMeterHealth', () =>
      (this.st.get('SELECT * FROM meter_health ORDER BY meter_id').all() as HealthRow[]).map(toMeterHealth),
    );
  }

  // ---- owner-scoped state ----

  getState(owner: string, key: string): string | undefined {
    return this.read(
      'getState',
      () =>
        (
          this.st.get('SELECT value FROM state WHERE owner = ? AND key = ?').get(owner, key) as
            { value: string } | undefined
        )?.value,
    );
  }

  setState(owner: string, key: string, value: string): void {
    this.writeTx('setState', () => {
      this.st
        .get(
          'INSERT INTO state (owner, key, value) VALUES (?, ?, ?) ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value',
        )
        .run(owner, key, value);
    });
  }

  // ---- counter anchors & events ----

  getAnchors(): CounterAnchor[] {
    return this.read('getAnchors', () =>
      (this.st.get('SELECT * FROM counter_anchors ORDER BY meter_id, point').all() as AnchorRow[]).map(toAnchor),
    );
  }

  /** Upserts anchors by (meterId, point). `state` is stored as JSON. */
  putAnchors(anchors: CounterAnchor[]): void {
    const sql = `INSERT INTO counter_anchors (meter_id, point, value, ts, meter_serial, state_json) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (meter_id, point) DO UPDATE SET value = excluded.value, ts = excluded.ts, meter_serial = excluded.meter_serial, state_json = excluded.state_json`;
    this.writeTx('putAnchors', () => {
      const stmt = this.st.get(sql);
      for (const a of anchors)
        stmt.run(a.meterId, a.point, a.value, a.ts, a.meterSerial, JSON.stringify(a.state ?? null));
    });
  }

  addCounterEvents(events: CounterEvent[]): void {
    const sql =
      'INSERT INTO counter_events (ts, site, line, meter_id, point, kind, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?)';
    this.writeTx('addCounterEvents', () => {
      const stmt = this.st.get(sql);
      for (const e of events) stmt.run(e.ts, e.site, e.line, e.meterId, e.point, e.kind, JSON.stringify(e.detail));
    });
  }

  /** Events with ts >= sinceTs, oldest first. */
  listCounterEvents(sinceTs: number): CounterEvent[] {
    return this.read('listCounterEvents', () =>
      (this.st.get('SELECT * FROM counter_events WHERE ts >= ? ORDER BY ts, id').all(sinceTs) as EventRow[]).map(
        toCounterEvent,
      ),
    );
  }

  // ---- site model (docs/adr/0220) ----

  /**
   * Replaces every site-model claim of `component` in one transaction, after checking them against the other
   * components' claims: a contradiction throws ERR_CONFIG_INVALID naming both places and changes nothing. Claims
   * equal to the stored ones change nothing either (the generation stays).
   */
  publishSiteClaims(component: string, source: string, claims: readonly SiteClaim[], nowTs = Date.now()): void {
    this.write('publishSiteClaims', () =>
      this.db.transaction(() => site.publishSiteClaims(this.st, component, source, claims, nowTs)).immediate(),
    );
  }

  /** The contradictions `claims` of `component` would bring, as `path: message` lines (none ⇒ they can be published). */
  siteClaimProblems(component: string, source: string, claims: readonly SiteClaim[]): string[] {
    return this.read('siteClaimProblems', () => site.siteClaimProblems(this.st, component, source, claims));
  }

  /** The merged site model and its generation, read together. */
  siteModel(): SiteModel {
    return this.read('siteModel', () => this.db.transaction(() => site.readSiteModel(this.st)).deferred());
  }

  /** Grows whenever a component publishes changed claims; compare it to `siteModel().generation`. */
  siteModelGeneration(): number {
    return this.read('siteModelGeneration', () => site.siteModelGeneration(this.st));
  }

  // ---- rollups & outbox ----

  getRollup(id: string): StoredRollup | undefined {
    return this.read('getRollup', () => rollups.getRollup(this.st, id));
  }

  getRollups(ids: string[]): Map<string, StoredRollup> {
    return this.read('getRollups', () => rollups.getRollups(this.st, ids));
  }

  /** Upserts by id (a lower revision than the stored one is ignored); `nowTs` becomes updatedTs. */
  putRollups(list: Rollup[], nowTs: number): void {
    this.writeTx('putRollups', () => rollups.putRollups(this.st, list, nowTs));
  }

  listRollups(f: rollups.RollupFilter): StoredRollup[] {
    return this.read('listRollups', () => rollups.listRollups(this.st, f));
  }

  enqueueOutbox(items: { rollupId: string; revision: number; windowStartMs: number }[], nowTs: number): void {
    this.writeTx('enqueueOutbox', () => rollups.enqueueOutbox(this.st, items, nowTs));
  }

  /** Unsent outbox rows, oldest first unless `newestFirst`. */
  pendingOutbox(limit: number, opts?: rollups.PendingOutboxOptions): OutboxRow[] {
    return this.read('pendingOutbox', () => rollups.pendingOutbox(this.st, limit, opts));
  }

  /** Unsent outbox rows with their stored rollup's revision and JSON text (see rollups.pendingOutboxBodies). */
  pendingOutboxBodies(limit: number, opts?: rollups.PendingOutboxOptions): rollups.OutboxBodyRow[] {
    return this.read('pendingOutboxBodies', () => rollups.pendingOutboxBodies(this.st, limit, opts));
  }

  /** Call only after Stream Manager acknowledged the append carrying these rows. */
  markOutboxSent(seqs: readonly number[], sequenceNumber: string, nowTs: number): void {
    this.markOutboxSentMany([{ seqs, sequenceNumber }], nowTs);
  }

  /** `markOutboxSent` for many acknowledged messages in one transaction. */
  markOutboxSentMany(marks: { seqs: readonly number[]; sequenceNumber: string }[], nowTs: number): void {
    this.writeTx('markOutboxSent', () => rollups.markOutboxSent(this.st, marks, nowTs));
  }

  outboxStats(nowTs: number): { depth: number; oldestUnsentTs: number | null; oldestUnsentAgeMs: number | null } {
    return this.read('outboxStats', () => rollups.outboxStats(this.st, nowTs));
  }

  // ---- retention & stats ----

  /** See retention.ts for exactly which rows are eligible. */
  prune(opts: PruneOptions): PruneResult {
    return this.write('prune', () => prune(this.db, this.st, opts));
  }

  /** fileBytes is the main file plus its WAL, as on disk now. */
  stats(): { fileBytes: number; readings: number; rollups: number; outboxDepth: number } {
    return this.read('stats', () => {
      const count = (sql: string): number => (this.st.get(sql).get() as { n: number }).n;
      return {
        fileBytes: fileSize(this.path) + fileSize(`${this.path}-wal`),
        readings: count('SELECT COUNT(*) AS n FROM reading_values'),
        rollups: count('SELECT COUNT(*) AS n FROM rollups'),
        outboxDepth: count('SELECT COUNT(*) AS n FROM outbox WHERE sent_ts IS NULL'),
      };
    });
  }

  // ---- plumbing ----

  private assertWritable(op: string): void {
    if (this.readonly)
      throw new PcfError('ERR_STORE', `gateway store ${this.path} is open read-only; ${op} writes`, {
        op,
        path: this.path,
      });
  }

  private read<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toStoreError(err, op, this.path);
    }
  }

  private write<T>(op: string, fn: () => T): T {
    this.assertWritable(op);
    return this.read(op, () => {
      this.sizeCap();
      return fn();
    });
  }

  private writeTx(op: string, fn: () => void): void {
    this.write(op, () => this.db.transaction(fn).immediate());
  }
}

/**
 * `siteClaimProblems` against the store file at `path`, for checking a proposed configuration before it applies
 * (Greengrass validation). A store that does not exist yet, or predates the site model, holds no claims: none.
 */
export function siteClaimProblemsAt(
  path: string,
  component: string,
  source: string,
  claims: readonly SiteClaim[],
): string[] {
  if (!existsSync(path)) return [];
  let store: GatewayStore;
  try {
    store = openStore(path, { readonly: true });
  } catch (err) {
    if (isPcfError(err, 'ERR_STORE')) return [];
    throw err;
  }
  try {
    return store.siteClaimProblems(component, source, claims);
  } finally {
    store.close();
  }
}

/**
 * The `check` of a component's Greengrass app: the configuration's own problems first, then its site-model claims
 * against the other components' claims in the store (`siteClaimProblemsAt`), so a contradiction is refused before
 * the configuration applies. `storeArg` (the --store argument) wins over the configuration's storePath.
 */
export function siteModelCheck<C extends { storePath: string }>(opts: {
  component: string;
  source: string;
  storeArg: string | undefined;
  problemsOf: (config: C) => string[];
  claimsOf: (config: C) => readonly SiteClaim[];
}): (config: C) => string[] {
  return (config) => {
    const problems = opts.problemsOf(config);
    if (problems.length > 0) return problems;
    return siteClaimProblemsAt(opts.storeArg ?? config.storePath, opts.component, opts.source, opts.claimsOf(config));
  };
}

function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}
