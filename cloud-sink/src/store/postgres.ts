import { PcfError } from '@pcf-edge/core';
import { Pool, type PoolClient } from 'pg';
import { numberArrayLiteral, textArrayLiteral } from './pg-arrays';
import type { RefEntity, ReferenceKind } from '../reference/types';
import { chainLinks, footprintLink, FOOTPRINT_PUBLISHING_ORDER, recomputationLink } from './record-chain';
import {
  checkFootprintSuccessor,
  FOOTPRINT_COLUMNS,
  footprintParams,
  LATEST_FOOTPRINTS_SQL,
  rowToFootprint,
} from './footprint-rows';
import { electricityColumn, readItems, seriesParam, sortIntervals, toInterval, type SumsRow } from './energy-plan';
import {
  checkSchemaVersion,
  GENESIS_HASH,
  MICRO_COLUMNS,
  microColumns,
  HISTORY_COLUMNS,
  MIGRATIONS,
  POSTGRES,
  type AppliedMigration,
  type MigrationStep,
} from './migrations';
import type {
  AuditRecord,
  CloudSinkRepository,
  DeadLetter,
  EnergyRequest,
  EnergySeries,
  EnergySeriesKey,
  Recomputation,
  ReferenceVersion,
  RollupQuery,
  StoredResult,
} from './repository';
import {
  currentViewProblemsSql,
  ingestPlan,
  periodColumns,
  periodRowToStored,
  REVISION_NAMES,
  ROLLUP_COLUMNS,
  rowToKept,
  rowToStored,
  saveCheckpointSql,
  UPSERT_NAMES,
  UPSERT_ROLLUP,
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

export interface PostgresRepositoryOptions {
  /** postgres://user:password@host:port/database */
  connectionString: string;
  /** Schema holding the tables (created if missing); default `public`. Lower-case letters, digits, `_`. */
  schema?: string;
  poolSize?: number;
  now?: () => number;
  /**
   * Apply pending migrations first (`cloud-sink migrate`, `npm start`, tests). Otherwise the schema must already be
   * at this code's version: every other process (consumers, the API, the Lambda handler) only checks it, so schema
   * changes happen in one explicit step (ADR 0181).
   */
  migrate?: boolean;
}

/** Serialization failures, deadlocks and lost connections are passing conditions: callers may retry. */
const TRANSIENT = new Set([
  '40001',
  '40P01',
  '57P01',
  '57P03',
  '08000',
  '08003',
  '08006',
  'ECONNRESET',
  'ECONNREFUSED',
]);

function storeError(err: unknown, what: string): PcfError {
  if (err instanceof PcfError) return err;
  const code = (err as { code?: unknown })?.code;
  return new PcfError(
    'ERR_STORE',
    `${what}: ${(err as Error).message}`,
    { transient: typeof code === 'string' && TRANSIENT.has(code) },
    { cause: err },
  );
}

/** PostgreSQL array type of each UPSERT_ROLLUP parameter. */
const ARRAY_TYPES: Record<string, string> = {
  id: 'text',
  revision: 'int',
  type: 'text',
  site: 'text',
  line: 'text',
  windowStartMs: 'bigint',
  windowMs: 'int',
  electricityMicroKWh: 'bigint',
  gasMicroM3: 'bigint',
  gasMicroKWh: 'bigint',
  gasCvBasis: 'text',
  baseloadMicroKWh: 'bigint',
  unitsGood: 'float8',
  unitsScrap: 'float8',
  coverage: 'float8',
  estimated: 'int',
  doc: 'text',
  receivedAtMs: 'bigint',
};
/** A statement for a whole write: one column array per parameter, unnested into rows (one statement, one round trip). */
const unnested = (sql: string, names: string[]): string =>
  sql.replace(
    /VALUES \([^)]*\)/,
    `SELECT * FROM unnest(${names.map((n, i) => `$${i + 1}::${ARRAY_TYPES[n]}[]`).join(', ')})`,
  );
const UPSERT_MANY = `${unnested(UPSERT_ROLLUP, UPSERT_NAMES)} RETURNING id`;
/** The column arrays of `rows` for an `unnested` statement of `names`, as array literals (pg-arrays.ts). */
const columnParams = (names: string[], rows: Record<string, unknown>[]): unknown[] =>
  names.map((n) =>
    ARRAY_TYPES[n] === 'text'
      ? textArrayLiteral(rows.map((row) => row[n] as string | null))
      : numberArrayLiteral(rows.map((row) => row[n] as number | null)),
  );
/** KEEP_REVISION_POSITIONAL's PostgreSQL form: the rows of one write as column arrays (REVISION_NAMES). */
const KEEP_REVISIONS = `INSERT INTO rollup_revisions (${HISTORY_COLUMNS})
  SELECT * FROM unnest(${REVISION_NAMES.map((n, i) => `$${i + 1}::${ARRAY_TYPES[n]}[]`).join(', ')}) AS u(${HISTORY_COLUMNS})
  WHERE NOT EXISTS (SELECT 1 FROM rollups c WHERE c.id = u.id AND c.revision = u.revision)
  ON CONFLICT (id, revision) DO NOTHING`;
/** The kept revisions of (id, revision) arrays: the current view holds most of what records name, the history the rest. */
const KEPT_REVISIONS_SQL = `SELECT ${HISTORY_COLUMNS.replace(/(\w+)/g, 'c.$1')} FROM rollups c
    JOIN unnest($1::text[], $2::int[]) AS k(id, revision) ON c.id = k.id AND c.revision = k.revision
  UNION ALL SELECT ${HISTORY_COLUMNS.replace(/(\w+)/g, 'h.$1')} FROM rollup_revisions h
    JOIN unnest($1::text[], $2::int[]) AS k(id, revision) ON h.id = k.id AND h.revision = k.revision`;
const MIGRATION_LOCK = 7_262_001;
/** Rollups per upsert statement (column arrays). */
const UPSERT_CHUNK = 5000;
/** Longest window a rollup may have (rollup-batch schema: windowMs ≤ 86,400,000): bounds the index range of a period query. */
const MAX_WINDOW_MS = 86_400_000; // pg_advisory_xact_lock key shared by every cloud-sink process

/**
 * The CloudSinkRepository on PostgreSQL (`pg` pool). Same tables and migrations as SQLite; every query is
 * parameterised (the schema name, validated, is the only identifier interpolated). Writes that extend a sequence
 * (reference versions, the audit chain, footprint versions) lock their table for the transaction, so concurrent
 * writers from several processes serialize instead of forking the chain.
 */
export async function openPostgresRepository(options: PostgresRepositoryOptions): Promise<CloudSinkRepository> {
  const { pool, schema } = poolFor(options);
  const now = options.now ?? Date.now;

  // A checked-out client has no pool listener: a session the server ends between two queries (RDS Proxy idle
  // timeout, failover) would emit an unhandled 'error' and crash the process. The failing query reports it instead,
  // and a client that failed is destroyed, not returned to the pool.
  const ignore = () => undefined;
  const tx = async <T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> => {
    let client: PoolClient | undefined;
    let failed: Error | undefined;
    try {
      client = await pool.connect();
      client.on('error', ignore);
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      failed = err as Error;
      await client?.query('ROLLBACK').catch(() => undefined);
      throw storeError(err, what);
    } finally {
      client?.off('error', ignore);
      client?.release(failed);
    }
  };
  const q = async <R>(what: string, sql: string, params: unknown[] = []): Promise<R[]> => {
    try {
      return (await pool.query(sql, params)).rows as R[];
    } catch (err) {
      throw storeError(err, what);
    }
  };

  try {
    if (options.migrate) await migrate(pool, schema);
    else await checkVersion(pool, schema);
  } catch (err) {
    await pool.end();
    throw storeError(err, `opening PostgreSQL schema ${schema} failed`);
  }

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
    connection: { kind: 'postgres', pool },
    ingest: (write) =>
      tx('ingest failed', async (c) => {
        const at = now();
        let applied = 0,
          revisions = 0;
        const plan = ingestPlan(write.rollups, at);
        // the current view first (its trigger keeps the row it replaces), then what it did not take to the history
        const taken = new Set<string>();
        for (let i = 0; i < plan.current.length; i += UPSERT_CHUNK) {
          const rows = plan.current.slice(i, i + UPSERT_CHUNK);
          for (const r of (await c.query<{ id: string }>(UPSERT_MANY, columnParams(UPSERT_NAMES, rows))).rows)
            taken.add(r.id);
        }
        applied = taken.size;
        const current = new Set(plan.current.filter((row) => taken.has(row.id)));
        const rest = current.size === plan.history.length ? [] : plan.history.filter((row) => !current.has(row));
        revisions = applied;
        for (let i = 0; i < rest.length; i += UPSERT_CHUNK) {
          const rows = rest.slice(i, i + UPSERT_CHUNK);
          revisions += (await c.query(KEEP_REVISIONS, columnParams(REVISION_NAMES, rows))).rowCount ?? 0;
        }
        for (const d of write.deadLetters) {
          await c.query('INSERT INTO dead_letters (source, reason, payload, received_at_ms) VALUES ($1, $2, $3, $4)', [
            d.source,
            d.reason,
            d.payload,
            d.receivedAtMs,
          ]);
        }
        if (write.checkpoint) {
          await c.query(
            saveCheckpointSql((i) => `$${i}`, ' COLLATE "C"'),
            [write.checkpoint.stream, write.checkpoint.shardId, write.checkpoint.sequenceNumber, at],
          );
        }
        return { applied, ignored: write.rollups.length - applied, deadLettered: write.deadLetters.length, revisions };
      }),
    readEnergy: async (req) => {
      let client: PoolClient | undefined;
      try {
        client = await pool.connect();
        // one snapshot for every series
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const out: EnergySeries[] = [];
        for (const s of req.series) out.push(await readSeries(client, req, s.key, s.segments));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client?.query('ROLLBACK').catch(() => undefined);
        throw storeError(err, 'energy read failed');
      } finally {
        client?.release();
      }
    },
    queryRollups: async (rq) =>
      (await q<RollupRow>('rollup query failed', ...periodQuery(rq, ROLLUP_COLUMNS))).map(rowToStored),
    getRollupRevisions: async (keys) => {
      const rows = await q<RollupRow & { doc: string }>('rollup revision lookup failed', KEPT_REVISIONS_SQL, [
        keys.map((k) => k.id),
        keys.map((k) => k.revision),
      ]);
      const byKey = new Map(rows.map((r) => [`${r.id}@${Number(r.revision)}`, rowToKept(r)]));
      return keys.flatMap((k) => byKey.get(`${k.id}@${k.revision}`) ?? []);
    },
    pageCurrentRollups: async (afterId, limit) =>
      (
        await q<RollupRow>(
          'rollup query failed',
          `SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE id > $1 COLLATE "C" ORDER BY id COLLATE "C" LIMIT $2`,
          [afterId, limit],
        )
      ).map(rowToStored),
    currentViewProblems: async (limit = 20) =>
      (
        await q<{ id: string }>(
          'current view check failed',
          currentViewProblemsSql((i) => `$${i}`),
          [limit],
        )
      ).map((r) => r.id),
    getRollups: async (ids) => {
      const rows = await q<RollupRow>(
        'rollup lookup failed',
        `SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE id = ANY($1)`,
        [ids],
      );
      const byId = new Map(rows.map((r) => [r.id, rowToStored(r)]));
      return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    },
    countRollups: async () =>
      Number((await q<{ n: string }>('count failed', 'SELECT COUNT(*) AS n FROM rollups'))[0]!.n),
    listDeadLetters: async (limit = 1000) =>
      (
        await q<Record<string, unknown>>(
          'dead-letter query failed',
          'SELECT * FROM dead_letters ORDER BY received_at_ms LIMIT $1',
          [limit],
        )
      ).map((r): DeadLetter => ({
        source: r.source as string,
        reason: r.reason as string,
        payload: r.payload as string,
        receivedAtMs: Number(r.received_at_ms),
      })),
    getCheckpoints: async (stream) =>
      new Map(
        (
          await q<{ shard_id: string; sequence_number: string }>(
            'checkpoint query failed',
            'SELECT shard_id, sequence_number FROM shard_checkpoints WHERE stream = $1',
            [stream],
          )
        ).map((r) => [r.shard_id, r.sequence_number]),
      ),
    importReference: (w) =>
      tx('reference import failed', async (c) => {
        await c.query('LOCK TABLE reference_versions IN SHARE ROW EXCLUSIVE MODE');
        const last = (await c.query('SELECT MAX(version) AS v FROM reference_versions')).rows[0] as {
          v: number | null;
        };
        const version = (last.v ?? 0) + 1;
        await c.query(
          'INSERT INTO reference_versions (version, kind, source, sha256, row_count, imported_at_ms) VALUES ($1, $2, $3, $4, $5, $6)',
          [version, w.kind, w.source, w.sha256, w.entities.length, now()],
        );
        for (const e of w.entities) {
          await c.query(
            'INSERT INTO reference_entities (kind, entity_id, version, hash, data) VALUES ($1, $2, $3, $4, $5)',
            [w.kind, e.entityId, version, e.hash, JSON.stringify(e.data)],
          );
        }
        return version;
      }),
    latestReferenceVersion: async () =>
      Number(
        (await q<{ v: number | null }>('version query failed', 'SELECT MAX(version) AS v FROM reference_versions'))[0]!
          .v ?? 0,
      ),
    listReferenceVersions: async () =>
      (
        await q<Record<string, unknown>>('version query failed', 'SELECT * FROM reference_versions ORDER BY version')
      ).map((r): ReferenceVersion => ({
        version: Number(r.version),
        kind: r.kind as ReferenceKind,
        source: r.source as string,
        sha256: r.sha256 as string,
        rowCount: Number(r.row_count),
        importedAtMs: Number(r.imported_at_ms),
      })),
    getReference: async (kind, asOf) =>
      (
        await q<Record<string, unknown>>(
          'reference query failed',
          `SELECT e.* FROM reference_entities e JOIN (SELECT entity_id, MAX(version) AS v FROM reference_entities WHERE kind = $1 AND version <= $2 GROUP BY entity_id) m
       ON e.entity_id = m.entity_id AND e.version = m.v WHERE e.kind = $1 ORDER BY e.entity_id`,
          [kind, asOf],
        )
      ).map(toEntity),
    getReferenceEntity: async (kind, entityId, version) => {
      const rows = await q<Record<string, unknown>>(
        'reference query failed',
        'SELECT * FROM reference_entities WHERE kind = $1 AND entity_id = $2 AND version = $3',
        [kind, entityId, version],
      );
      return rows[0] ? toEntity(rows[0]) : undefined;
    },
    appendResult: (r, body, hashBody, recomputation) =>
      tx('storing result failed', async (c) => {
        await c.query('LOCK TABLE audit_records IN SHARE ROW EXCLUSIVE MODE');
        const last = (await c.query('SELECT hash FROM audit_records ORDER BY id DESC LIMIT 1')).rows[0] as
          { hash: string } | undefined;
        const prevHash = last?.hash ?? GENESIS_HASH;
        const hash = hashBody(body, prevHash);
        const createdAtMs = now();
        await c.query(
          `INSERT INTO pcf_results (id, kind, subject, period_start, period_end, method, gwp_set, result, created_at_ms)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            r.id,
            r.kind,
            r.subject,
            r.periodStart,
            r.periodEnd,
            r.method,
            r.gwpSet,
            JSON.stringify(r.result),
            r.createdAtMs,
          ],
        );
        const ins = await c.query(
          'INSERT INTO audit_records (result_id, body, prev_hash, hash, created_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id',
          [r.id, body, prevHash, hash, createdAtMs],
        );
        if (recomputation) await chainRecomputation(c, recomputation);
        return { id: Number((ins.rows[0] as { id: string }).id), resultId: r.id, body, prevHash, hash, createdAtMs };
      }),
    getResult: async (id) => {
      const rows = await q<Record<string, unknown>>('result query failed', 'SELECT * FROM pcf_results WHERE id = $1', [
        id,
      ]);
      return rows[0] ? toResult(rows[0]) : undefined;
    },
    listResults: async () =>
      (
        await q<Record<string, unknown>>('result query failed', 'SELECT * FROM pcf_results ORDER BY created_at_ms, id')
      ).map(toResult),
    listAuditRecords: async () =>
      (await q<Record<string, unknown>>('audit query failed', 'SELECT * FROM audit_records ORDER BY id')).map(toAudit),
    getAuditRecordForResult: async (resultId) => {
      const rows = await q<Record<string, unknown>>(
        'audit query failed',
        'SELECT * FROM audit_records WHERE result_id = $1',
        [resultId],
      );
      return rows[0] ? toAudit(rows[0]) : undefined;
    },
    appendRecomputation: (r) => tx('storing recomputation failed', (c) => chainRecomputation(c, r)),
    listRecordChain: async (kind) =>
      kind === 'footprints'
        ? (await q<Record<string, unknown>>('chain query failed', 'SELECT * FROM footprints ORDER BY chain_seq')).map(
            footprintLink,
          )
        : (
            await q<Record<string, unknown>>('chain query failed', 'SELECT * FROM result_recomputations ORDER BY id')
          ).map(recomputationLink),
    listRecomputations: async () =>
      (
        await q<Record<string, unknown>>(
          'recomputation query failed',
          'SELECT * FROM result_recomputations ORDER BY id',
        )
      ).map(rowToRecomputation),
    saveFootprintVersions: (rows, deliveries = []) =>
      tx('storing footprints failed', async (c) => {
        await c.query('LOCK TABLE footprints IN SHARE ROW EXCLUSIVE MODE');
        const insert = insertSql(
          'footprints',
          [...FOOTPRINT_COLUMNS, 'chain_seq', 'prev_hash', 'hash'],
          (i) => `$${i}`,
        );
        const last = (await c.query('SELECT chain_seq AS seq, hash FROM footprints ORDER BY chain_seq DESC LIMIT 1'))
          .rows[0] as { seq: string; hash: string } | undefined;
        const links = chainLinks(last && { seq: Number(last.seq), hash: last.hash }, rows);
        for (const [i, f] of rows.entries()) {
          const latest = (
            await c.query('SELECT status, version FROM footprints WHERE id = $1 ORDER BY version DESC LIMIT 1', [f.id])
          ).rows[0] as { status: string; version: number } | undefined;
          checkFootprintSuccessor(latest, f);
          await c.query(insert, [...footprintParams(f), links[i]!.seq, links[i]!.prevHash, links[i]!.hash]);
        }
        for (const d of deliveries)
          await c.query(
            insertSql('pact_event_deliveries', DELIVERY_COLUMNS, (i) => `$${i}`),
            deliveryParams(d),
          );
      }),
    getFootprint: async (id) => {
      const rows = await q<Record<string, unknown>>(
        'footprint query failed',
        'SELECT * FROM footprints WHERE id = $1 ORDER BY version DESC LIMIT 1',
        [id],
      );
      return rows[0] ? rowToFootprint(rows[0]) : undefined;
    },
    getFootprintVersion: async (id) => {
      const v = (
        await q<{ v: number | null }>(
          'footprint query failed',
          'SELECT MAX(version) AS v FROM footprints WHERE id = $1',
          [id],
        )
      )[0]?.v;
      return v == null ? undefined : Number(v);
    },
    listFootprints: async () =>
      (await q<Record<string, unknown>>('footprint query failed', LATEST_FOOTPRINTS_SQL)).map(rowToFootprint),
    listFootprintVersions: async () =>
      (
        await q<Record<string, unknown>>(
          'footprint query failed',
          'SELECT * FROM footprints ORDER BY updated_at_ms, id, version',
        )
      ).map(rowToFootprint),
    close: () => pool.end(),
  };
}

const where = (key: EnergySeriesKey): string =>
  key.type === 'site' ? "r.type = 'site' AND r.site = $1" : "r.type = 'line' AND r.line = $1";

/** One series of `readEnergy` (see energy-plan.ts), inside the caller's transaction. */
async function readSeries(
  c: PoolClient,
  req: EnergyRequest,
  key: EnergySeriesKey,
  segments: EnergyRequest['series'][number]['segments'],
): Promise<EnergySeries> {
  const present = (
    await c.query(
      `SELECT min(r.window_ms) AS w FROM rollups r WHERE ${where(key)} AND r.window_start_ms < $2 AND r.window_start_ms > $3
        AND r.window_start_ms + r.window_ms > $4`,
      [seriesParam(key), req.toMs, req.fromMs - MAX_WINDOW_MS, req.fromMs],
    )
  ).rows[0] as { w: number | null };
  const shortest = present.w === null ? undefined : Number(present.w);
  const windowMs = req.windowMs ?? shortest;
  if (windowMs === undefined)
    return { key, anyRollup: false, energy: { windowMs, intervals: [] }, ...(req.list ? { rollups: [] } : {}) };
  const items = readItems(segments, windowMs);
  const gas = key.type === 'line';
  // One index range scan per item (LATERAL, aggregated inside so the planner cannot flatten it into one join): as a
  // plain join, PostgreSQL scanned every row of the series once per item (items × rows, seconds for a month).
  const sums = await c.query(
    `SELECT j.k AS item, s.* FROM unnest($3::bigint[], $4::bigint[], $5::boolean[]) WITH ORDINALITY AS j(lo, hi, single, k)
      CROSS JOIN LATERAL (
        SELECT CASE WHEN j.single THEN r.window_start_ms END AS single, r.site AS site, r.estimated AS estimated,
          ${gas ? 'r.gas_cv_basis' : 'NULL::text'} AS basis, count(*) AS n, min(r.window_start_ms) AS first_ms,
          max(r.window_start_ms) AS last_ms, count(*) FILTER (WHERE r.coverage < 1) AS partial, min(r.coverage) AS min_cov,
          sum(coalesce(${electricityColumn(key)}, 0)) AS e,
          ${gas ? 'sum(coalesce(r.gas_um3, 0)) AS gm, sum(coalesce(r.gas_ukwh, 0)) AS gk' : '0 AS gm, 0 AS gk'}
        FROM rollups r
        WHERE ${where(key)} AND r.window_ms = $2 AND r.window_start_ms BETWEEN j.lo AND j.hi
        GROUP BY 1, 2, 3, 4) AS s`,
    [seriesParam(key), windowMs, items.map((i) => i.lo), items.map((i) => i.hi), items.map((i) => i.single)],
  );
  const intervals = sortIntervals((sums.rows as SumsRow[]).map((r) => toInterval(r, windowMs, gas)));
  const out: EnergySeries = { key, anyRollup: shortest !== undefined, energy: { windowMs, intervals } };
  if (req.list) {
    const fixed =
      key.type === 'site' ? { type: 'site' as const, site: key.site } : { type: 'line' as const, line: key.line };
    const rows = await c.query({
      text: `SELECT ${periodColumns(key.type === 'site', key.type === 'line')} FROM rollups r WHERE ${where(key)}
        AND r.window_ms = $2 AND r.window_start_ms > $3 AND r.window_start_ms < $4 ORDER BY r.window_start_ms, r.id`,
      values: [seriesParam(key), windowMs, req.fromMs - windowMs, req.toMs],
      rowMode: 'array',
    });
    out.rollups = (rows.rows as unknown[][]).map((a) => periodRowToStored(a, fixed));
  }
  return out;
}

/** A period query (windows overlapping [fromMs, toMs), ordered by window start and id) and its parameters. */
function periodQuery(rq: RollupQuery, columns: string): [string, (string | number)[]] {
  // the type as a literal (one of two fixed values) so the partial index of site rows applies (migration 6)
  const where = [
    rq.type === 'site' ? "type = 'site'" : "type = 'line'",
    'window_start_ms < $1',
    'window_start_ms > $2',
    'window_start_ms + window_ms > $3',
  ];
  const params: (string | number)[] = [rq.toMs, rq.fromMs - MAX_WINDOW_MS, rq.fromMs];
  if (rq.site !== undefined) {
    params.push(rq.site);
    where.push(`site = $${params.length}`);
  }
  if (rq.line !== undefined) {
    params.push(rq.line);
    where.push(`line = $${params.length}`);
  }
  return [`SELECT ${columns} FROM rollups WHERE ${where.join(' AND ')} ORDER BY window_start_ms, id`, params];
}

function poolFor(options: PostgresRepositoryOptions): { pool: Pool; schema: string } {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new PcfError('ERR_USAGE', `PostgreSQL schema name '${schema}' must be lower-case letters, digits and _`);
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    options: `-c search_path=${schema}`,
  });
  pool.on('error', () => {
    /* idle client errors surface on the next query */
  });
  return { pool, schema };
}

/**
 * Applies the pending migrations to `options.schema` (created if missing), all in one transaction under an advisory
 * lock, so several processes may start at once; returns those applied (none when the schema was current).
 */
export async function migratePostgres(options: PostgresRepositoryOptions): Promise<AppliedMigration[]> {
  const { pool, schema } = poolFor(options);
  try {
    return await migrate(pool, schema);
  } catch (err) {
    throw storeError(err, `migrating PostgreSQL schema ${schema} failed`);
  } finally {
    await pool.end();
  }
}

/** ERR_STORE unless the schema's migrations are exactly this code's. */
async function checkVersion(pool: Pool, schema: string): Promise<void> {
  const exists = (await pool.query(`SELECT to_regclass('${schema}.schema_migrations') AS t`)).rows[0] as { t: unknown };
  const done = exists.t
    ? (await pool.query('SELECT version FROM schema_migrations')).rows.map((r: { version: unknown }) =>
        Number(r.version),
      )
    : [];
  checkSchemaVersion(done, `PostgreSQL schema ${schema}`);
}

async function migrate(pool: Pool, schema: string): Promise<AppliedMigration[]> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const applied: AppliedMigration[] = [];
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)',
    );
    const done = new Set(
      (await c.query('SELECT version FROM schema_migrations')).rows.map((r: { version: number }) => r.version),
    );
    checkSchemaVersion(done, `PostgreSQL schema ${schema}`, true);
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const step of m.statements(POSTGRES)) await runStep(c, step);
      await c.query('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      applied.push({ version: m.version, name: m.name });
    }
    await c.query('COMMIT');
    return applied;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** Appends a recomputation to its chain (ADR 0236) under the table's write lock; `c` is in a transaction. */
async function chainRecomputation(c: PoolClient, r: Recomputation): Promise<void> {
  await c.query('LOCK TABLE result_recomputations IN SHARE ROW EXCLUSIVE MODE');
  const last = (await c.query('SELECT id, hash FROM result_recomputations ORDER BY id DESC LIMIT 1')).rows[0] as
    { id: string; hash: string } | undefined;
  const [link] = chainLinks(last && { seq: Number(last.id), hash: last.hash }, [r]);
  await c.query(
    insertSql('result_recomputations', [...RECOMPUTATION_COLUMNS, 'prev_hash', 'hash'], (i) => `$${i}`),
    [...recomputationParams(r), link!.prevHash, link!.hash],
  );
}

async function runStep(c: PoolClient, step: MigrationStep): Promise<void> {
  if (typeof step === 'string') return void (await c.query(step));
  if (step.data === 'chain-published-records') {
    const footprints = (await c.query(`SELECT * FROM footprints ORDER BY ${FOOTPRINT_PUBLISHING_ORDER}`))
      .rows as Record<string, unknown>[];
    const fl = chainLinks(undefined, footprints.map(rowToFootprint));
    for (const [i, r] of footprints.entries())
      await c.query('UPDATE footprints SET chain_seq = $1, prev_hash = $2, hash = $3 WHERE id = $4 AND version = $5', [
        fl[i]!.seq,
        fl[i]!.prevHash,
        fl[i]!.hash,
        r.id,
        r.version,
      ]);
    const recs = (await c.query('SELECT * FROM result_recomputations ORDER BY id')).rows as Record<string, unknown>[];
    const rl = chainLinks(undefined, recs.map(rowToRecomputation));
    for (const [i, r] of recs.entries())
      await c.query('UPDATE result_recomputations SET prev_hash = $1, hash = $2 WHERE id = $3', [
        rl[i]!.prevHash,
        rl[i]!.hash,
        r.id,
      ]);
    return;
  }
  // rollups-to-micro-units, in id order, a batch at a time
  for (let last = ''; ;) {
    const rows = (
      await c.query(
        `SELECT id, ${MICRO_COLUMNS.map(([d]) => d).join(', ')} FROM rollups WHERE id > $1 ORDER BY id LIMIT 5000`,
        [last],
      )
    ).rows as Record<string, unknown>[];
    if (rows.length === 0) return;
    const cols = rows.map(microColumns);
    await c.query(
      `UPDATE rollups r SET ${MICRO_COLUMNS.map(([, m], i) => `${m} = v.c${i}`).join(', ')}
        FROM unnest($1::text[], ${MICRO_COLUMNS.map((_, i) => `$${i + 2}::bigint[]`).join(', ')}) AS v(id, ${MICRO_COLUMNS.map((_, i) => `c${i}`).join(', ')})
        WHERE r.id = v.id`,
      [rows.map((r) => r.id), ...MICRO_COLUMNS.map((_, i) => cols.map((c) => c[i]))],
    );
    last = String(rows[rows.length - 1]!.id);
  }
}
