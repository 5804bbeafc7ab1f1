import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PcfError } from '@pcf-edge/core';
import type { EnergyInterval } from '@pcf-edge/pcf-engine';
import type { RefEntity, ReferenceKind } from '../reference/types';
import { readItems, seriesParam, seriesWhere, sortIntervals, toInterval, type SumsRow } from './energy-plan';
import {
  checkSchemaVersion,
  GENESIS_HASH,
  MICRO_COLUMNS,
  microColumns,
  MIGRATIONS,
  HISTORY_COLUMNS,
  SQLITE,
  type AppliedMigration,
  type MigrationStep,
} from './migrations';
import {
  currentViewProblemsSql,
  periodColumns,
  periodRowToStored,
  ingestPlan,
  INSERT_NEW_ROLLUP,
  KEEP_REVISION_POSITIONAL,
  REPLACE_ROLLUP,
  REVISION_NAMES,
  ROLLUP_COLUMNS,
  rowToKept,
  rowToStored,
  type IngestRow,
  saveCheckpointSql,
  UPSERT_NAMES,
  type RollupRow,
} from './rollup-rows';
import {
  DELIVERY_COLUMNS,
  deliveryParams,
  insertSql,
  RECOMPUTATION_COLUMNS,
  recomputationParams,
  rowToRecomputation,
} from './recompute-rows';
import { chainLinks, footprintLink, FOOTPRINT_PUBLISHING_ORDER, recomputationLink } from './record-chain';
import {
  checkFootprintSuccessor,
  FOOTPRINT_COLUMNS,
  footprintParams,
  LATEST_FOOTPRINTS_SQL,
  rowToFootprint,
} from './footprint-rows';
import type {
  AuditRecord,
  CloudSinkRepository,
  DeadLetter,
  EnergyRequest,
  EnergySeries,
  EnergySeriesKey,
  ImportWrite,
  IngestOutcome,
  IngestWrite,
  KeptRevision,
  QueuedDelivery,
  Recomputation,
  ReferenceVersion,
  RollupQuery,
  StoredFootprint,
  StoredResult,
  StoredRollup,
} from './repository';

/** Longest window a rollup may have (rollup-batch schema: windowMs ≤ 86,400,000). */
const MAX_WINDOW_MS = 86_400_000;

export interface SqliteRepositoryOptions {
  /** Database file; ':memory:' for a throwaway database. Parent folders are created. */
  file: string;
  /** How long a writer waits for a lock before SQLITE_BUSY (ms). */
  busyTimeoutMs?: number;
  /**
   * SQLite page cache per connection (MiB, default 64). Upserts touch random pages of the primary-key index (rollup
   * ids are hashes); SQLite's 2 MiB default makes nearly every one a read from the OS.
   */
  cacheSizeMiB?: number;
  now?: () => number;
}

/** SQLITE_BUSY / SQLITE_LOCKED are passing conditions: callers may retry. */
export function isTransientStoreError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  const cause = (err as { cause?: { code?: unknown } })?.cause?.code;
  return [code, cause].some(
    (c) => typeof c === 'string' && (c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED')),
  );
}

function storeError(err: unknown, what: string): PcfError {
  return new PcfError(
    'ERR_STORE',
    `${what}: ${(err as Error).message}`,
    { transient: isTransientStoreError(err) },
    { cause: err },
  );
}

export function openSqliteRepository(options: SqliteRepositoryOptions): CloudSinkRepository {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma(`cache_size = ${-1024 * (options.cacheSizeMiB ?? 64)}`);
  const now = options.now ?? Date.now;
  try {
    // an embedded file is migrated by whoever opens it (ADR 0181); a newer schema is refused
    migrate(db);
  } catch (err) {
    db.close();
    throw err instanceof PcfError ? err : storeError(err, `migrating ${options.file} failed`);
  }

  // Every statement is prepared once per connection and reused (preparing costs more than running a point query).
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
  const insertNew = prepared(INSERT_NEW_ROLLUP.replace(/@\w+/g, '?'));
  const replace = prepared(REPLACE_ROLLUP);
  const keepRevision = prepared(KEEP_REVISION_POSITIONAL);
  const insertDead = prepared('INSERT INTO dead_letters (source, reason, payload, received_at_ms) VALUES (?, ?, ?, ?)');
  const saveCheckpoint = prepared(saveCheckpointSql(() => '?'));

  // Period queries, prepared once per shape (site and/or line given). Windows are at most one day long (schema), so
  // the lower bound keeps the index range tight; the covering indexes (migration 5) answer them without table reads.
  const rollupQueries = new Map<string, Database.Statement>();
  // The type is written as a literal (one of two fixed values) so the partial index of site rows applies.
  const rollupQuery = (type: RollupQuery['type'], bySite: boolean, byLine: boolean): Database.Statement => {
    const key = `${type}|${bySite}|${byLine}`;
    let stmt = rollupQueries.get(key);
    if (!stmt) {
      const where = [
        type === 'site' ? "type = 'site'" : "type = 'line'",
        'window_start_ms < ?',
        'window_start_ms > ?',
        'window_start_ms + window_ms > ?',
      ];
      if (bySite) where.push('site = ?');
      if (byLine) where.push('line = ?');
      stmt = db
        .prepare(
          `SELECT ${periodColumns(bySite, byLine)} FROM rollups WHERE ${where.join(' AND ')} ORDER BY window_start_ms, id`,
        )
        .raw(true);
      rollupQueries.set(key, stmt);
    }
    return stmt;
  };
  const rollupById = prepared(`SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE id = ?`);
  const fingerprint =
    prepared(`SELECT COUNT(*) AS n, COALESCE(SUM(revision), 0) AS r, COALESCE(MAX(received_at_ms), 0) AS m FROM rollups
    WHERE type = ? AND site = ? AND window_start_ms < ? AND window_start_ms > ? AND window_start_ms + window_ms > ?`);

  // The shortest window of every series overlapping the period, in one statement: a correlated MIN per series (the
  // type written literally in each, so the covering indexes apply), one row per series in request order.
  const seriesIs = (type: EnergySeriesKey['type'], id: string): string =>
    type === 'site' ? `r.type = 'site' AND r.site = ${id}` : `r.type = 'line' AND r.line = ${id}`;
  const shortestOf = (type: EnergySeriesKey['type']) =>
    `(SELECT min(r.window_ms) FROM rollups r WHERE ${seriesIs(type, '(j.value ->> 1)')}
      AND r.window_start_ms < ? AND r.window_start_ms > ? AND r.window_start_ms + r.window_ms > ?)`;
  const shortest = prepared(
    `SELECT CASE WHEN (j.value ->> 0) = 'site' THEN ${shortestOf('site')} ELSE ${shortestOf('line')} END AS w
      FROM json_each(?) AS j ORDER BY j.key`,
  ).pluck(true);
  // The sums of every series of one type in one statement (integers as bigint: the sums are exact past 2^53). Each
  // json_each element is one read item, [series id, window length, lo, hi, single]; rows come per item (j.key).
  const sums = (type: EnergySeriesKey['type']): Database.Statement => {
    const gas = type === 'line';
    const sql = `SELECT j.key AS item, CASE WHEN (j.value ->> 4) = 1 THEN r.window_start_ms END AS single, r.site AS site,
      r.estimated AS estimated, ${gas ? 'r.gas_cv_basis' : 'NULL'} AS basis, count(*) AS n, min(r.window_start_ms) AS first_ms,
      max(r.window_start_ms) AS last_ms, sum(r.coverage < 1) AS partial, min(r.coverage) AS min_cov,
      sum(coalesce(${gas ? 'r.electricity_ukwh' : 'r.baseload_ukwh'}, 0)) AS e, ${gas ? 'sum(coalesce(r.gas_um3, 0)) AS gm, sum(coalesce(r.gas_ukwh, 0)) AS gk' : '0 AS gm, 0 AS gk'}
      FROM json_each(?) AS j CROSS JOIN rollups AS r
      WHERE ${seriesIs(type, '(j.value ->> 0)')} AND r.window_ms = (j.value ->> 1)
        AND r.window_start_ms >= (j.value ->> 2) AND r.window_start_ms <= (j.value ->> 3)
      GROUP BY j.key, single, r.site, r.estimated${gas ? ', r.gas_cv_basis' : ''}`;
    return prepared(sql).safeIntegers(true);
  };
  const listed = (key: EnergySeriesKey): Database.Statement =>
    prepared(
      `SELECT ${periodColumns(key.type === 'site', key.type === 'line')} FROM rollups r WHERE ${seriesWhere(key)}
        AND r.window_ms = ? AND r.window_start_ms > ? AND r.window_start_ms < ? ORDER BY r.window_start_ms, r.id`,
    ).raw(true);
  // one read transaction: every series as of the same moment (WAL readers see one snapshot); a fixed number of
  // statements (the shortest windows, then the sums of the lines and of the sites), whatever the number of series
  const readEnergyTx = db.transaction((req: EnergyRequest): EnergySeries[] => {
    const ids = req.series.map(({ key }) => [key.type, seriesParam(key)]);
    const bounds = [req.toMs, req.fromMs - MAX_WINDOW_MS, req.fromMs];
    const present = (shortest.all(...bounds, ...bounds, JSON.stringify(ids)) as (number | null)[]).map((w) =>
      w === null ? undefined : Number(w),
    );
    const windows = req.series.map((_, i) => req.windowMs ?? present[i]);
    const intervals: EnergyInterval[][] = req.series.map(() => []);
    for (const type of ['line', 'site'] as const) {
      const items: (string | number)[][] = [];
      const itemSeries: number[] = [];
      req.series.forEach(({ key, segments }, i) => {
        const windowMs = windows[i];
        if (key.type !== type || windowMs === undefined) return;
        for (const it of readItems(segments, windowMs)) {
          items.push([seriesParam(key), windowMs, it.lo, it.hi, it.single ? 1 : 0]);
          itemSeries.push(i);
        }
      });
      if (items.length === 0) continue;
      for (const r of sums(type).all(JSON.stringify(items)) as (SumsRow & { item: bigint })[]) {
        const i = itemSeries[Number(r.item)]!;
        intervals[i]!.push(toInterval(r, windows[i]!, type === 'line'));
      }
    }
    return req.series.map(({ key }, i) => {
      const windowMs = windows[i];
      if (windowMs === undefined)
        return { key, anyRollup: false, energy: { windowMs, intervals: [] }, ...(req.list ? { rollups: [] } : {}) };
      const out: EnergySeries = {
        key,
        anyRollup: present[i] !== undefined,
        energy: { windowMs, intervals: sortIntervals(intervals[i]!) },
      };
      if (req.list) {
        const fixed =
          key.type === 'site' ? { type: 'site' as const, site: key.site } : { type: 'line' as const, line: key.line };
        out.rollups = (listed(key).all(seriesParam(key), windowMs, req.fromMs - windowMs, req.toMs) as unknown[][]).map(
          (a) => periodRowToStored(a, fixed),
        );
      }
      return out;
    });
  });

  const ingestTx = db.transaction((write: IngestWrite): IngestOutcome => {
    const at = now();
    let applied = 0,
      revisions = 0;
    const plan = ingestPlan(write.rollups, at);
    // the current view first (its trigger keeps the row a higher revision replaces), then to the history what the
    // view did not take
    const taken = new Set<IngestRow>();
    for (const row of plan.current) {
      const values = UPSERT_NAMES.map((n) => row[n]);
      if (insertNew.run(values).changes > 0) taken.add(row);
      else {
        values.push(values.shift(), row.revision); // UPSERT_NAMES without id, then id and revision
        if (replace.run(values).changes > 0) taken.add(row);
      }
    }
    for (const row of plan.history)
      if (!taken.has(row))
        revisions += keepRevision.run(...REVISION_NAMES.map((n) => row[n]), row.id, row.revision).changes;
    applied = taken.size;
    revisions += applied;
    for (const d of write.deadLetters) insertDead.run(d.source, d.reason, d.payload, d.receivedAtMs);
    if (write.checkpoint)
      saveCheckpoint.run(write.checkpoint.stream, write.checkpoint.shardId, write.checkpoint.sequenceNumber, at);
    return { applied, ignored: write.rollups.length - applied, deadLettered: write.deadLetters.length, revisions };
  });

  const importTx = db.transaction((w: ImportWrite): number => {
    const last = prepared('SELECT MAX(version) AS v FROM reference_versions').get() as { v: number | null };
    const version = (last.v ?? 0) + 1;
    prepared(
      'INSERT INTO reference_versions (version, kind, source, sha256, row_count, imported_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(version, w.kind, w.source, w.sha256, w.entities.length, now());
    const ins = prepared(
      'INSERT INTO reference_entities (kind, entity_id, version, hash, data) VALUES (?, ?, ?, ?, ?)',
    );
    for (const e of w.entities) ins.run(w.kind, e.entityId, version, e.hash, JSON.stringify(e.data));
    return version;
  });

  const insertRecomputation = prepared(
    insertSql('result_recomputations', [...RECOMPUTATION_COLUMNS, 'prev_hash', 'hash'], () => '?'),
  );
  /** Appends a recomputation to its chain (ADR 0236); call inside a transaction. */
  const chainRecomputation = (r: Recomputation): void => {
    const last = prepared('SELECT id, hash FROM result_recomputations ORDER BY id DESC LIMIT 1').get() as
      { id: number; hash: string } | undefined;
    const [link] = chainLinks(last && { seq: Number(last.id), hash: last.hash }, [r]);
    insertRecomputation.run(...recomputationParams(r), link!.prevHash, link!.hash);
  };
  const recomputationTx = db.transaction(chainRecomputation);
  const appendTx = db.transaction(
    (
      r: StoredResult,
      body: string,
      hashBody: (b: string, p: string) => string,
      recomputation?: Recomputation,
    ): AuditRecord => {
      const last = prepared('SELECT hash FROM audit_records ORDER BY id DESC LIMIT 1').get() as
        { hash: string } | undefined;
      const prevHash = last?.hash ?? GENESIS_HASH;
      const hash = hashBody(body, prevHash);
      const createdAtMs = now();
      prepared(`INSERT INTO pcf_results (id, kind, subject, period_start, period_end, method, gwp_set, result, created_at_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        r.id,
        r.kind,
        r.subject,
        r.periodStart,
        r.periodEnd,
        r.method,
        r.gwpSet,
        JSON.stringify(r.result),
        r.createdAtMs,
      );
      const info = prepared(
        'INSERT INTO audit_records (result_id, body, prev_hash, hash, created_at_ms) VALUES (?, ?, ?, ?, ?)',
      ).run(r.id, body, prevHash, hash, createdAtMs);
      if (recomputation) chainRecomputation(recomputation);
      return { id: Number(info.lastInsertRowid), resultId: r.id, body, prevHash, hash, createdAtMs };
    },
  );

  const footprintTx = db.transaction((rows: StoredFootprint[], deliveries: QueuedDelivery[]): void => {
    const latest = prepared('SELECT status, version FROM footprints WHERE id = ? ORDER BY version DESC LIMIT 1');
    const ins = prepared(insertSql('footprints', [...FOOTPRINT_COLUMNS, 'chain_seq', 'prev_hash', 'hash'], () => '?'));
    const last = prepared('SELECT chain_seq AS seq, hash FROM footprints ORDER BY chain_seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
    const links = chainLinks(last && { seq: Number(last.seq), hash: last.hash }, rows);
    for (const [i, f] of rows.entries()) {
      checkFootprintSuccessor(latest.get(f.id) as { status: string; version: number } | undefined, f);
      ins.run(...footprintParams(f), links[i]!.seq, links[i]!.prevHash, links[i]!.hash);
    }
    const insDelivery = prepared(insertSql('pact_event_deliveries', DELIVERY_COLUMNS, () => '?'));
    for (const d of deliveries) insDelivery.run(...deliveryParams(d));
  });

  const wrap = <T>(what: string, fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof PcfError ? err : storeError(err, what));
    }
  };

  const toResult = (row: Record<string, unknown>): StoredResult => ({
    id: row.id as string,
    kind: row.kind as StoredResult['kind'],
    subject: row.subject as string,
    periodStart: row.period_start as string,
    periodEnd: row.period_end as string,
    method: row.method as string,
    gwpSet: row.gwp_set as string,
    result: JSON.parse(row.result as string),
    createdAtMs: Number(row.created_at_ms),
  });
  const toAudit = (row: Record<string, unknown>): AuditRecord => ({
    id: Number(row.id),
    resultId: row.result_id as string,
    body: row.body as string,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
    createdAtMs: Number(row.created_at_ms),
  });
  const toEntity = (row: Record<string, unknown>): RefEntity => ({
    entityId: row.entity_id as string,
    version: Number(row.version),
    hash: row.hash as string,
    data: JSON.parse(row.data as string),
  });

  return {
    connection: { kind: 'sqlite', db },
    ingest: (write) => wrap('ingest failed', () => ingestTx(write)),
    queryRollups: (q: RollupQuery) =>
      wrap('rollup query failed', () => {
        const params: (string | number)[] = [q.toMs, q.fromMs - MAX_WINDOW_MS, q.fromMs];
        if (q.site !== undefined) params.push(q.site);
        if (q.line !== undefined) params.push(q.line);
        const key = { type: q.type, site: q.site, line: q.line };
        return (rollupQuery(q.type, q.site !== undefined, q.line !== undefined).all(...params) as unknown[][]).map(
          (a) => periodRowToStored(a, key),
        );
      }),
    getRollupRevisions: (keys) =>
      wrap('rollup revision lookup failed', () => {
        // the current view holds most of what records name; the history the revisions it replaced
        const current = prepared(`SELECT ${HISTORY_COLUMNS} FROM rollups WHERE id = ? AND revision = ?`);
        const kept = prepared(`SELECT ${HISTORY_COLUMNS} FROM rollup_revisions WHERE id = ? AND revision = ?`);
        const out: KeptRevision[] = [];
        for (const k of keys) {
          const row = (current.get(k.id, k.revision) ?? kept.get(k.id, k.revision)) as
            (RollupRow & { doc: string }) | undefined;
          if (row) out.push(rowToKept(row));
        }
        return out;
      }),
    pageCurrentRollups: (afterId, limit) =>
      wrap('rollup query failed', () =>
        (
          prepared(`SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE id > ? ORDER BY id LIMIT ?`).all(
            afterId,
            limit,
          ) as RollupRow[]
        ).map(rowToStored),
      ),
    currentViewProblems: (limit = 20) =>
      wrap('current view check failed', () =>
        (prepared(currentViewProblemsSql(() => '?')).all(limit) as { id: string }[]).map((r) => r.id),
      ),
    getRollups: (ids) =>
      wrap('rollup lookup failed', () => {
        const out: StoredRollup[] = [];
        for (const id of ids) {
          const row = rollupById.get(id) as RollupRow | undefined;
          if (row) out.push(rowToStored(row));
        }
        return out;
      }),
    rollupFingerprint: (sites, fromMs, toMs) =>
      wrap('fingerprint query failed', () => {
        const parts: string[] = [];
        for (const site of sites) {
          for (const type of ['line', 'site']) {
            const row = fingerprint.get(type, site, toMs, fromMs - MAX_WINDOW_MS, fromMs) as {
              n: number;
              r: number;
              m: number;
            };
            parts.push(`${site}/${type}:${row.n}:${row.r}:${row.m}`);
          }
        }
        return parts.join(',');
      }),
    readEnergy: (req) => wrap('energy read failed', () => readEnergyTx(req)),
    countRollups: () =>
      wrap('count failed', () => Number((prepared('SELECT COUNT(*) AS n FROM rollups').get() as { n: number }).n)),
    listDeadLetters: (limit = 1000) =>
      wrap('dead-letter query failed', () =>
        (
          prepared('SELECT * FROM dead_letters ORDER BY received_at_ms LIMIT ?').all(limit) as Record<string, unknown>[]
        ).map((r): DeadLetter => ({
          source: r.source as string,
          reason: r.reason as string,
          payload: r.payload as string,
          receivedAtMs: Number(r.received_at_ms),
        })),
      ),
    getCheckpoints: (stream) =>
      wrap(
        'checkpoint query failed',
        () =>
          new Map(
            (
              prepared('SELECT shard_id, sequence_number FROM shard_checkpoints WHERE stream = ?').all(stream) as {
                shard_id: string;
                sequence_number: string;
              }[]
            ).map((r) => [r.shard_id, r.sequence_number]),
          ),
      ),
    importReference: (w) => wrap('reference import failed', () => importTx(w)),
    latestReferenceVersion: () =>
      wrap(
        'version query failed',
        () => (prepared('SELECT MAX(version) AS v FROM reference_versions').get() as { v: number | null }).v ?? 0,
      ),
    listReferenceVersions: () =>
      wrap('version query failed', () =>
        (prepared('SELECT * FROM reference_versions ORDER BY version').all() as Record<string, unknown>[]).map(
          (r): ReferenceVersion => ({
            version: Number(r.version),
            kind: r.kind as ReferenceKind,
            source: r.source as string,
            sha256: r.sha256 as string,
            rowCount: Number(r.row_count),
            importedAtMs: Number(r.imported_at_ms),
          }),
        ),
      ),
    getReference: (kind, asOf) =>
      wrap('reference query failed', () =>
        (
          prepared(`SELECT e.* FROM reference_entities e JOIN (SELECT entity_id, MAX(version) AS v FROM reference_entities
        WHERE kind = ? AND version <= ? GROUP BY entity_id) m ON e.entity_id = m.entity_id AND e.version = m.v
        WHERE e.kind = ? ORDER BY e.entity_id`).all(kind, asOf, kind) as Record<string, unknown>[]
        ).map(toEntity),
      ),
    getReferenceEntity: (kind, entityId, version) =>
      wrap('reference query failed', () => {
        const row = prepared('SELECT * FROM reference_entities WHERE kind = ? AND entity_id = ? AND version = ?').get(
          kind,
          entityId,
          version,
        );
        return row ? toEntity(row as Record<string, unknown>) : undefined;
      }),
    appendResult: (r, body, hashBody, recomputation) =>
      wrap('storing result failed', () => appendTx(r, body, hashBody, recomputation)),
    appendRecomputation: (r) => wrap('storing recomputation failed', () => recomputationTx(r)),
    listRecordChain: (kind) =>
      wrap('chain query failed', () =>
        kind === 'footprints'
          ? (prepared('SELECT * FROM footprints ORDER BY chain_seq').all() as Record<string, unknown>[]).map(
              footprintLink,
            )
          : (prepared('SELECT * FROM result_recomputations ORDER BY id').all() as Record<string, unknown>[]).map(
              recomputationLink,
            ),
      ),
    listRecomputations: () =>
      wrap('recomputation query failed', () =>
        (prepared('SELECT * FROM result_recomputations ORDER BY id').all() as Record<string, unknown>[]).map(
          rowToRecomputation,
        ),
      ),
    getResult: (id) =>
      wrap('result query failed', () => {
        const row = prepared('SELECT * FROM pcf_results WHERE id = ?').get(id);
        return row ? toResult(row as Record<string, unknown>) : undefined;
      }),
    listResults: () =>
      wrap('result query failed', () =>
        (prepared('SELECT * FROM pcf_results ORDER BY created_at_ms, id').all() as Record<string, unknown>[]).map(
          toResult,
        ),
      ),
    listAuditRecords: () =>
      wrap('audit query failed', () =>
        (prepared('SELECT * FROM audit_records ORDER BY id').all() as Record<string, unknown>[]).map(toAudit),
      ),
    getAuditRecordForResult: (resultId) =>
      wrap('audit query failed', () => {
        const row = prepared('SELECT * FROM audit_records WHERE result_id = ?').get(resultId);
        return row ? toAudit(row as Record<string, unknown>) : undefined;
      }),
    saveFootprintVersions: (rows, deliveries = []) =>
      wrap('storing footprints failed', () => footprintTx(rows, deliveries)),
    getFootprint: (id) =>
      wrap('footprint query failed', () => {
        const row = prepared('SELECT * FROM footprints WHERE id = ? ORDER BY version DESC LIMIT 1').get(id);
        return row ? rowToFootprint(row as Record<string, unknown>) : undefined;
      }),
    getFootprintVersion: (id) =>
      wrap(
        'footprint query failed',
        () =>
          (prepared('SELECT MAX(version) AS v FROM footprints WHERE id = ?').get(id) as { v: number | null }).v ??
          undefined,
      ),
    listFootprints: () =>
      wrap('footprint query failed', () =>
        (prepared(LATEST_FOOTPRINTS_SQL).all() as Record<string, unknown>[]).map(rowToFootprint),
      ),
    listFootprintVersions: () =>
      wrap('footprint query failed', () =>
        (
          prepared('SELECT * FROM footprints ORDER BY updated_at_ms, id, version').all() as Record<string, unknown>[]
        ).map(rowToFootprint),
      ),
    close: () =>
      wrap('close failed', () => {
        db.close();
      }),
  };
}

/** Applies the pending migrations to the SQLite file (created if missing); returns those applied. */
export function migrateSqlite(file: string): AppliedMigration[] {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    return migrate(db);
  } catch (err) {
    throw err instanceof PcfError ? err : storeError(err, `migrating ${file} failed`);
  } finally {
    db.close();
  }
}

function migrate(db: Database.Database): AppliedMigration[] {
  const applied: AppliedMigration[] = [];
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)',
  );
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  checkSchemaVersion(done, 'SQLite database', true);
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      for (const step of m.statements(SQLITE)) runStep(db, step);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
    })();
    applied.push({ version: m.version, name: m.name });
  }
  return applied;
}

type Row = Record<string, unknown>;

function runStep(db: Database.Database, step: MigrationStep): void {
  if (typeof step === 'string') return void db.exec(step);
  if (step.data === 'chain-published-records') {
    const footprints = db.prepare(`SELECT * FROM footprints ORDER BY ${FOOTPRINT_PUBLISHING_ORDER}`).all() as Row[];
    const fl = chainLinks(undefined, footprints.map(rowToFootprint));
    const setF = db.prepare(
      'UPDATE footprints SET chain_seq = ?, prev_hash = ?, hash = ? WHERE id = ? AND version = ?',
    );
    footprints.forEach((r, i) => setF.run(fl[i]!.seq, fl[i]!.prevHash, fl[i]!.hash, r.id, r.version));
    const recs = db.prepare('SELECT * FROM result_recomputations ORDER BY id').all() as Row[];
    const rl = chainLinks(undefined, recs.map(rowToRecomputation));
    const setR = db.prepare('UPDATE result_recomputations SET prev_hash = ?, hash = ? WHERE id = ?');
    recs.forEach((r, i) => setR.run(rl[i]!.prevHash, rl[i]!.hash, r.id));
    return;
  }
  // rollups-to-micro-units, in rowid order, a batch at a time
  const read = db.prepare(
    `SELECT rowid AS rid, id, ${MICRO_COLUMNS.map(([d]) => d).join(', ')} FROM rollups WHERE rowid > ? ORDER BY rowid LIMIT 5000`,
  );
  const write = db.prepare(`UPDATE rollups SET ${MICRO_COLUMNS.map(([, m]) => `${m} = ?`).join(', ')} WHERE rowid = ?`);
  for (let last = 0; ;) {
    const rows = read.all(last) as Record<string, unknown>[];
    if (rows.length === 0) return;
    for (const row of rows) write.run(...microColumns(row), row.rid);
    last = Number(rows[rows.length - 1]!.rid);
  }
}
