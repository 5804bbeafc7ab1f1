import type { Rollup } from '@pcf-edge/core';
import type { Database } from 'better-sqlite3';
import type { Pool } from 'pg';
import type { LineEnergy, SummableSegments } from '@pcf-edge/pcf-engine';
import type { RefEntity, ReferenceKind } from '../reference/types';

/**
 * The cloud-sink repository: every storage access goes through this interface so the SQLite implementation
 * (embedded default) and a PostgreSQL one are interchangeable. All methods are async; each method that writes is
 * one transaction. Times are epoch milliseconds unless named otherwise.
 */

/**
 * A stored rollup's columns (the document as received is kept apart). Energy and volume are exact integers of
 * micro-units (µkWh, µm³), decoded once at ingest (`DecodedRollup`).
 */
export interface StoredRollup {
  id: string;
  revision: number;
  type: Rollup['type'];
  site: string;
  line: string | null;
  windowStartMs: number;
  windowMs: number;
  electricityMicroKWh: number | null;
  gasMicroM3: number | null;
  gasMicroKWh: number | null;
  gasCvBasis: 'gross' | 'net' | null;
  baseloadMicroKWh: number | null;
  unitsGood: number | null;
  unitsScrap: number | null;
  coverage: number;
  estimated: boolean;
}

/**
 * A rollup as received, with its energy and volume decoded into integer micro-units and range-checked (the ingest's
 * `decodeRollup`); null where the rollup has no such value. The store keeps these integers, never the JSON numbers.
 */
export interface DecodedRollup {
  rollup: Rollup;
  electricityMicroKWh: number | null;
  gasMicroM3: number | null;
  gasMicroKWh: number | null;
  baseloadMicroKWh: number | null;
}

export interface DeadLetter {
  source: string;
  reason: string;
  payload: string;
  receivedAtMs: number;
}

export interface ShardCheckpoint {
  stream: string;
  shardId: string;
  sequenceNumber: string;
}

/** What one ingest transaction applies: upserts, dead letters and (optionally) the shard checkpoint after them. */
export interface IngestWrite {
  rollups: DecodedRollup[];
  deadLetters: DeadLetter[];
  checkpoint?: ShardCheckpoint;
}

export interface IngestOutcome {
  /** Rollups that changed the current view (a new id, or a higher revision than the current one). */
  applied: number;
  /** Rollups that did not (an equal or lower revision: still kept in the history when the revision is new). */
  ignored: number;
  deadLettered: number;
  /** Revisions appended to the history: every (id, revision) not kept before, whatever the order of arrival. */
  revisions: number;
}

/** A kept revision of a rollup (ADR 0230): its columns and the document as received. Never changed once kept. */
export interface KeptRevision {
  rollup: StoredRollup;
  doc: string;
}

/** One recomputation of a stale result (ADR 0232): republished as `successorId`, or kept current with a note. */
export interface Recomputation {
  resultId: string;
  /** The result stored in its place (republished), or null: the result stays current (change below threshold). */
  successorId: string | null;
  /** SHA-256 of the (id, revision) list of the rollups the recomputation read: the view the result is current for. */
  rollupsSha256: string;
  /** |new − old| ÷ |old| of the PCF per declared unit, decimal string; the threshold it was compared with. */
  relativeChange: string;
  threshold: string;
  note: string;
  createdAtMs: number;
}

/**
 * A PACT event to deliver to one client (a row of the delivery queue `pact_event_deliveries`, ADR 0194/0235):
 * the CloudEvent as sent (`body`), to `url`, due at `nextAttemptMs`.
 */
export interface QueuedDelivery {
  id: string;
  clientId: string;
  type: string;
  url: string;
  body: string;
  nextAttemptMs: number;
  createdAtMs: number;
}

/** One row of a record chain (ADR 0236) as stored: what it says (`content`), its name in messages, its chain columns. */
export interface ChainLink {
  label: string;
  content: unknown;
  prevHash: string | null;
  hash: string | null;
}
/** The chained tables: footprint versions (in `chain_seq` order) and recomputations (in id order). */
export type ChainKind = 'footprints' | 'recomputations';

export interface RollupQuery {
  type: 'line' | 'site';
  site?: string;
  line?: string;
  /** Windows that overlap [fromMs, toMs). */
  fromMs: number;
  toMs: number;
}

/** Whose energy one series reads: a line's windows, or a site's (baseload) windows. */
export type EnergySeriesKey = { type: 'line'; line: string } | { type: 'site'; site: string };

/** One read of energy for a calculation: every series in one consistent snapshot of the store. */
export interface EnergyRequest {
  /** The period [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Window length to read; default per series: the shortest present in the period. */
  windowMs?: number;
  series: { key: EnergySeriesKey; segments: SummableSegments }[];
  /** Also list every window read (its columns), for an audit record. */
  list?: boolean;
}

export interface EnergySeries {
  key: EnergySeriesKey;
  /** Whole windows inside one summable segment as one interval per segment (and per site, estimate flag and CV
   * basis), every other window on its own; equal, for the engine, to reading every window on its own. */
  energy: LineEnergy;
  /** Whether the series has any rollup (of any window length) overlapping the period. */
  anyRollup: boolean;
  /** With `list`: every window of `energy.windowMs` overlapping the period, by start and id. */
  rollups?: StoredRollup[];
}

export interface ReferenceVersion {
  version: number;
  kind: ReferenceKind;
  source: string;
  sha256: string;
  rowCount: number;
  importedAtMs: number;
}

export interface ImportWrite {
  kind: ReferenceKind;
  source: string;
  sha256: string;
  entities: { entityId: string; hash: string; data: unknown }[];
}

export interface StoredResult {
  id: string;
  kind: 'order' | 'product';
  subject: string;
  periodStart: string;
  periodEnd: string;
  method: string;
  gwpSet: string;
  /** Result document (JSON) as computed. */
  result: unknown;
  createdAtMs: number;
}

export interface AuditRecord {
  id: number;
  resultId: string;
  /** Canonical JSON of the record body (inputs, intermediates, result). */
  body: string;
  prevHash: string;
  hash: string;
  createdAtMs: number;
}

/**
 * One version of a published PACT ProductFootprint. Rows are insert-only: (id, version) is unique, and no version
 * may follow a Deprecated one (a Deprecated footprint never changes).
 */
export interface StoredFootprint {
  id: string;
  version: number;
  status: 'Active' | 'Deprecated';
  productId: string;
  periodStart: string;
  periodEnd: string;
  method: string;
  gwpSet: string;
  /** The stored PCF result this version was built from. */
  resultId: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** The PACT ProductFootprint JSON as served. */
  doc: unknown;
}

/** The open database of a repository, for stores that keep their own tables in it (store/security-store.ts). */
export type StoreConnection = { kind: 'sqlite'; db: Database } | { kind: 'postgres'; pool: Pool };

export interface CloudSinkRepository {
  readonly connection?: StoreConnection;
  /**
   * Applies one ingest write atomically: every new (id, revision) is appended to the history; the current view takes
   * a rollup only if its revision is higher than the current one.
   */
  ingest(write: IngestWrite): Promise<IngestOutcome>;
  /** Kept revisions by (id, revision), in the order asked; those never kept are left out. */
  getRollupRevisions(keys: { id: string; revision: number }[]): Promise<KeptRevision[]>;
  /** Up to `limit` current-view rollups with id > `afterId`, by id (for digests and comparisons). */
  pageCurrentRollups(afterId: string, limit: number): Promise<StoredRollup[]>;
  /**
   * Ids (at most `limit`) where the current view is not the highest kept revision with the same columns: a row
   * missing on either side, another revision, or other values. Empty when the store is consistent.
   */
  currentViewProblems(limit?: number): Promise<string[]>;
  queryRollups(q: RollupQuery): Promise<StoredRollup[]>;
  getRollups(ids: string[]): Promise<StoredRollup[]>;
  countRollups(): Promise<number>;
  /**
   * Optional: a token that changes whenever a line or site rollup of one of `sites` overlapping [fromMs, toMs) is
   * added or revised (count, revision sum, latest receipt). Enables the precomputed-period cache; without it every
   * calculation reads its rollups.
   */
  rollupFingerprint?(sites: string[], fromMs: number, toMs: number): Promise<string>;
  /** Reads the energy of a calculation (ADR 0180): one transaction, every series as of the same moment. */
  readEnergy(request: EnergyRequest): Promise<EnergySeries[]>;
  listDeadLetters(limit?: number): Promise<DeadLetter[]>;
  getCheckpoints(stream: string): Promise<Map<string, string>>;

  /** Stores a new reference version of `kind` holding the given entities; returns the version number. */
  importReference(write: ImportWrite): Promise<number>;
  latestReferenceVersion(): Promise<number>;
  listReferenceVersions(): Promise<ReferenceVersion[]>;
  /** Every entity of `kind` at its highest version ≤ asOfVersion. */
  getReference(kind: ReferenceKind, asOfVersion: number): Promise<RefEntity[]>;
  /** One entity at an exact version (for audit replay). */
  getReferenceEntity(kind: ReferenceKind, entityId: string, version: number): Promise<RefEntity | undefined>;

  /**
   * Stores a result and its audit record in one transaction; `hashBody(prevHash)` returns the record's hash
   * chained to the previous record's hash (the empty chain starts from 64 zeros).
   */
  appendResult(
    result: StoredResult,
    body: string,
    hashBody: (body: string, prevHash: string) => string,
    recomputation?: Recomputation,
  ): Promise<AuditRecord>;
  /** Records a recomputation that kept its result current (no successor). */
  appendRecomputation(r: Recomputation): Promise<void>;
  /** Every recomputation, in the order recorded. */
  listRecomputations(): Promise<Recomputation[]>;
  /** Footprint versions or recomputations in chain order, with their chain columns, for `audit verify` (ADR 0236). */
  listRecordChain(kind: ChainKind): Promise<ChainLink[]>;
  getResult(id: string): Promise<StoredResult | undefined>;
  listResults(): Promise<StoredResult[]>;
  listAuditRecords(): Promise<AuditRecord[]>;
  getAuditRecordForResult(resultId: string): Promise<AuditRecord | undefined>;

  /**
   * Inserts footprint versions and queues the events announcing them (pending deliveries) in one transaction.
   * ERR_STORE (nothing written) if an (id, version) exists already or a version would follow a Deprecated one.
   */
  saveFootprintVersions(rows: StoredFootprint[], deliveries?: QueuedDelivery[]): Promise<void>;
  /** The highest version of one footprint. */
  getFootprint(id: string): Promise<StoredFootprint | undefined>;
  /** The number of the highest version of one footprint (an index-only lookup; lets callers reuse a served form). */
  getFootprintVersion(id: string): Promise<number | undefined>;
  /** The highest version of every footprint, ordered by createdAtMs, then id. */
  listFootprints(): Promise<StoredFootprint[]>;
  /** Every stored version of every footprint, ordered by updatedAtMs, id, version. */
  listFootprintVersions(): Promise<StoredFootprint[]>;

  close(): Promise<void>;
}
