import { decodeRollups } from '../src/ingest/quantities';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { lineRollup } from './helpers';
import { verifyAudit } from '../src/audit/verify';
import { PcfService } from '../src/service/pcf-service';
import { MIGRATIONS } from '../src/store/migrations';
import { migratePostgres, openPostgresRepository } from '../src/store/postgres';
import type { CloudSinkRepository } from '../src/store/repository';
import { openSqliteRepository } from '../src/store/sqlite';
import { readLegacyFixture, writeLegacyPostgres, writeLegacySqlite } from './legacy-fixture';
import { PG_URL, pgSkipNotice } from './pg-support';

/**
 * Audit records written by an earlier engine (testcases/legacy-audit-v1: cloud-sink at cc21e43, arithmetics 1 and 2,
 * kWh as received) verify after every later migration, through the frozen verifier; tampering is still found.
 */
interface Opened {
  repo: CloudSinkRepository;
  /** Runs one SQL statement on the raw database (tampering). */
  sql(text: string): Promise<void>;
  dispose(): Promise<void>;
}

const fixture = readLegacyFixture();

async function openSqlite(): Promise<Opened> {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-sink-legacy-'));
  const file = join(dir, 'db.sqlite');
  writeLegacySqlite(file, fixture);
  const repo = openSqliteRepository({ file });
  return {
    repo,
    sql: (text) => {
      const db = new Database(file);
      db.exec(text);
      db.close();
      return Promise.resolve();
    },
    dispose: async () => {
      await repo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(url: string): Promise<Opened> {
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await writeLegacyPostgres(url, schema, fixture);
  // PostgreSQL is migrated in its own step (cloud-sink migrate); the repository refuses an older schema
  // the fixture's store has migrations 1–6: every later one is pending (their numbers come from several ADR ranges)
  const pending = MIGRATIONS.map((m) => m.version).filter((v) => v > 6);
  await expect(openPostgresRepository({ connectionString: url, schema })).rejects.toThrow(
    `lacks schema migrations ${pending.join(', ')} that this cloud-sink needs: run \`cloud-sink migrate\` first`,
  );
  expect((await migratePostgres({ connectionString: url, schema })).map((m) => m.version)).toEqual(pending);
  const repo = await openPostgresRepository({ connectionString: url, schema, poolSize: 2 });
  const client = async (fn: (c: Client) => Promise<unknown>) => {
    const c = new Client({ connectionString: url, options: `-c search_path=${schema}` });
    await c.connect();
    try {
      await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    repo,
    sql: (text) => client((c) => c.query(text)),
    dispose: async () => {
      await repo.close();
      await client((c) => c.query(`DROP SCHEMA ${schema} CASCADE`));
    },
  };
}

const stores: [string, () => Promise<Opened>][] = [['SQLite', openSqlite]];
const pgUrl = PG_URL;
if (pgUrl !== undefined) stores.push(['PostgreSQL', () => openPostgres(pgUrl)]);
else pgSkipNotice('legacy audit records');

describe.each(stores)('audit records of schema pcf-edge.audit/1 (%s)', (_name, open) => {
  let o: Opened;
  beforeEach(async () => {
    o = await open();
  });
  afterEach(async () => {
    await o.dispose();
  });

  it('every record verifies: arithmetic 1 and 2, a value with 7 decimals, a product made on no line', async () => {
    const bodies = fixture.tables.audit_records!.map((r) => JSON.parse(r.body as string) as Record<string, unknown>);
    expect(bodies.map((b) => b.arithmetic ?? 1)).toContain(1);
    expect(bodies.every((b) => b.schema === 'pcf-edge.audit/1')).toBe(true);
    const report = await verifyAudit(o.repo);
    expect(report.records.map((r) => [r.auditId, r.problems])).toEqual(bodies.map((_b, i) => [i + 1, []]));
  });

  it('migrates every value to integer micro-units; new records (pcf-edge.audit/3) chain on and verify', async () => {
    const seven = fixture.tables.rollups!.find((r) => r.electricity_kwh === 1.2345678)!;
    expect((await o.repo.getRollups([seven.id as string]))[0]).toMatchObject({ electricityMicroKWh: 1_234_568 });
    const demo = fixture.tables.rollups!.find((r) => r.gas_m3 === 0.47)!;
    expect((await o.repo.getRollups([demo.id as string]))[0]).toMatchObject({
      electricityMicroKWh: 10_000_000,
      gasMicroM3: 470_000,
      gasMicroKWh: 5_000_000,
    });
    const { audit } = await new PcfService(o.repo).calculateAndStore('widget', {
      periodStart: '2026-11-03T06:00:00Z',
      periodEnd: '2026-11-03T18:00:00Z',
      method: 'location',
      gwpSet: 'AR6',
      shareKey: 'units',
      overheadKey: 'mass',
    });
    expect(audit.prevHash).toBe(fixture.tables.audit_records!.at(-1)!.hash);
    expect(JSON.parse(audit.body)).toMatchObject({ schema: 'pcf-edge.audit/3' });
    const report = await verifyAudit(o.repo);
    expect(report.records.map((r) => r.problems)).toEqual(report.records.map(() => []));
    expect(report.records).toHaveLength(fixture.tables.audit_records!.length + 1);
  });

  it('finds a factor changed after the fact and an altered record; a later revision is not a failure', async () => {
    await o.sql(
      `UPDATE reference_entities SET data = replace(data, '0.204950289', '0.104950289') WHERE kind = 'factors' AND entity_id = 'desnz-2023-electricity-uk'`,
    );
    await o.sql(`UPDATE audit_records SET body = replace(body, '"gwpSet":"AR5"', '"gwpSet":"AR4"') WHERE id = 2`);
    // a late revision of one 06:00 window of line-1 (read by the demo records 1–5)
    await o.repo.ingest({
      rollups: decodeRollups([
        lineRollup('line-1', '2026-11-02T06:00:00.000Z', 2, 10, { gasKWh: 5, gasM3: 0.47, gasCvBasis: 'gross' }),
      ]),
      deadLetters: [],
    });
    const report = await verifyAudit(o.repo);
    const problems = (id: number) => report.records.find((r) => r.auditId === id)!.problems;
    expect(problems(1)).toContain(`input factors 'desnz-2023-electricity-uk' version 4 was changed after the fact`);
    expect(problems(1).some((p) => p.startsWith('rollups differ'))).toBe(false);
    expect(problems(2)).toContain('record hash does not match its body (the audit record was altered)');
    // the records of the next day read other windows: only the factor is reported there
    const later = report.records.filter((r) => r.auditId >= 6);
    expect(later.every((r) => r.problems.some((p) => p.startsWith('input factors')))).toBe(true);
    expect(later.some((r) => r.problems.some((p) => p.startsWith('rollups differ')))).toBe(false);
  });
});
