import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { LineRollup, SiteRollup } from '@pcf-edge/core';
import { Dec, type CalcOptions } from '@pcf-edge/pcf-engine';
import fc from 'fast-check';
import { verifyAudit } from '../src/audit/verify';
import { decodeRollups } from '../src/ingest/quantities';
import { importReferenceFile } from '../src/reference/import';
import { DEMO_DIR, importDirectory } from '../src/service/demo';
import { demoRollups } from '../src/service/demo-rollups';
import { PcfService } from '../src/service/pcf-service';
import { recomputeStale } from '../src/service/recompute';
import type { CloudSinkRepository } from '../src/store/repository';
import { openSqliteRepository } from '../src/store/sqlite';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';

/**
 * Property (issue 18): for random interleavings of ingests (new windows, revisions, duplicates, out-of-order
 * revisions), reference imports, stored calculations and recomputations, `audit verify` passes after every step (it
 * replays every stored result to its recorded digits); and a byte changed in any table the audit covers — the chain,
 * a stored result, a reference entity used, a kept revision's document or values, the current view — fails it, and
 * putting the byte back makes it pass again.
 */
const POOL = demoRollups();
/** The values of revision `rev` of pool rollup `i`: a function of both, so a duplicate is an exact duplicate. */
function revision(i: number, rev: number): LineRollup | SiteRollup {
  const r = POOL[i]!;
  const bump = (rev - 1) * ((i % 5) + 1) * 0.125;
  return r.type === 'site'
    ? { ...r, revision: rev, baseloadKWh: r.baseloadKWh + bump }
    : { ...r, revision: rev, electricityKWh: r.electricityKWh + bump };
}

type Step =
  | { kind: 'ingest'; items: { i: number; rev: number }[] }
  | { kind: 'factors'; scale: number }
  | { kind: 'store'; product: string; late: boolean; gwpSet: 'AR5' | 'AR6'; method: 'location' | 'market' }
  | { kind: 'recompute'; thresholdPercent: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('ingest' as const),
      items: fc.array(
        fc.record({ i: fc.integer({ min: 0, max: POOL.length - 1 }), rev: fc.integer({ min: 1, max: 4 }) }),
        { minLength: 1, maxLength: 12 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('factors' as const), scale: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('store' as const),
      product: fc.constantFrom('widget', 'housing', 'steel-sheet'),
      late: fc.boolean(),
      gwpSet: fc.constantFrom('AR5' as const, 'AR6' as const),
      method: fc.constantFrom('location' as const, 'market' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('recompute' as const), thresholdPercent: fc.constantFrom(0, 0.1, 50) }),
  },
);

/** Raw SQL on the store under test (tampering), `?` placeholders. */
interface Raw {
  all(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  run(sql: string, ...params: unknown[]): Promise<void>;
}
interface Opened {
  repo: CloudSinkRepository;
  raw: Raw;
  dispose(): Promise<void>;
}

const tmp = mkdtempSync(join(tmpdir(), 'audit-prop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

async function openSqlite(): Promise<Opened> {
  const file = join(tmp, `db-${n++}.sqlite`);
  const repo = openSqliteRepository({ file });
  const db = new Database(file);
  return {
    repo,
    raw: {
      all: (sql, ...p) => Promise.resolve(db.prepare(sql).all(...p) as Record<string, unknown>[]),
      run: (sql, ...p) => Promise.resolve(void db.prepare(sql).run(...p)),
    },
    dispose: async () => {
      db.close();
      await repo.close();
    },
  };
}

async function openPg(url: string): Promise<Opened> {
  const o = await openPgInFreshSchema(url);
  const c = new Client({ connectionString: url, options: `-c search_path=${o.schema}` });
  await c.connect();
  const pg = (sql: string) =>
    sql.replace(
      /\?/g,
      (() => {
        let i = 0;
        return () => `$${++i}`;
      })(),
    );
  return {
    repo: o.repo,
    raw: {
      all: async (sql, ...p) => (await c.query(pg(sql), p)).rows as Record<string, unknown>[],
      run: async (sql, ...p) => void (await c.query(pg(sql), p)),
    },
    dispose: async () => {
      await c.end();
      await o.dispose();
    },
  };
}

const options = (s: Extract<Step, { kind: 'store' }>): CalcOptions => ({
  periodStart: s.late ? '2026-11-02T07:00:00Z' : '2026-11-02T06:00:00Z',
  periodEnd: s.late ? '2026-11-02T09:30:00Z' : '2026-11-02T10:00:00Z',
  method: s.method,
  gwpSet: s.gwpSet,
  shareKey: 'units',
  overheadKey: 'mass',
});

async function apply(repo: CloudSinkRepository, step: Step): Promise<void> {
  switch (step.kind) {
    case 'ingest':
      await repo.ingest({ rollups: decodeRollups(step.items.map((x) => revision(x.i, x.rev))), deadLetters: [] });
      return;
    case 'factors': {
      const rows = JSON.parse(readFileSync(join(DEMO_DIR, 'factors.json'), 'utf8')) as {
        components: Record<string, string>;
      }[];
      for (const r of rows)
        for (const k of Object.keys(r.components))
          r.components[k] = new Dec(r.components[k]!).times(step.scale).toString();
      const file = join(tmp, `factors-${n++}.json`);
      writeFileSync(file, JSON.stringify(rows));
      await importReferenceFile(repo, 'factors', file);
      return;
    }
    case 'store':
      await new PcfService(repo).calculateAndStore(step.product, options(step));
      return;
    case 'recompute':
      await recomputeStale(repo, new Dec(step.thresholdPercent));
      return;
  }
}

/** Changes one digit of `text` at a position chosen by `at` (a digit d becomes d % 9 + 1: JSON stays valid). */
function flipDigit(text: string, at: number): string {
  const digits = [...text.matchAll(/\d/g)].map((m) => m.index);
  const i = digits[at % digits.length]!;
  return text.slice(0, i) + String((Number(text[i]) % 9) + 1) + text.slice(i + 1);
}

/** A tamper of one table: returns the SQL that changes a byte and the SQL that puts it back. */
async function tampers(raw: Raw, at: number): Promise<[string, () => Promise<void>, () => Promise<void>][]> {
  const records = await raw.all('SELECT id, result_id, body FROM audit_records ORDER BY id');
  const rec = records[at % records.length]!;
  const body = JSON.parse(rec.body as string) as {
    inputs: { entities: { kind: string; id: string; version: number }[]; rollups: { id: string; revision: number }[] };
  };
  const text = (table: string, col: string, where: string, params: unknown[]) => async () => {
    const [row] = await raw.all(`SELECT ${col} AS v FROM ${table} WHERE ${where}`, ...params);
    const was = row!.v as string;
    return [
      () => raw.run(`UPDATE ${table} SET ${col} = ? WHERE ${where}`, flipDigit(was, at), ...params),
      () => raw.run(`UPDATE ${table} SET ${col} = ? WHERE ${where}`, was, ...params),
    ] as const;
  };
  const out: [string, () => Promise<void>, () => Promise<void>][] = [];
  const add = async (name: string, make: () => Promise<readonly [() => Promise<void>, () => Promise<void>]>) => {
    const [t, u] = await make();
    out.push([name, t, u]);
  };
  await add('audit_records.body', text('audit_records', 'body', 'id = ?', [rec.id]));
  await add('pcf_results.result', text('pcf_results', 'result', 'id = ?', [rec.result_id]));
  const e = body.inputs.entities[at % body.inputs.entities.length]!;
  await add(
    `reference_entities.data (${e.kind})`,
    text('reference_entities', 'data', 'kind = ? AND entity_id = ? AND version = ?', [e.kind, e.id, e.version]),
  );
  const used = body.inputs.rollups[at % Math.max(1, body.inputs.rollups.length)];
  if (used) {
    // the current view keeps its revision's document; the history the revisions it replaced (ADR 0270)
    const [inView] = await raw.all('SELECT 1 AS v FROM rollups WHERE id = ? AND revision = ?', used.id, used.revision);
    const table = inView ? 'rollups' : 'rollup_revisions';
    await add(`${table}.doc`, text(table, 'doc', 'id = ? AND revision = ?', [used.id, used.revision]));
    await add(`${table}.coverage`, async () => [
      () =>
        raw.run(`UPDATE ${table} SET coverage = coverage / 2 WHERE id = ? AND revision = ?`, used.id, used.revision),
      () =>
        raw.run(`UPDATE ${table} SET coverage = coverage * 2 WHERE id = ? AND revision = ?`, used.id, used.revision),
    ]);
  }
  const [cur] = await raw.all('SELECT id FROM rollups ORDER BY id LIMIT 1 OFFSET ?', at % POOL.length);
  if (cur)
    await add('rollups (current view)', async () => [
      () => raw.run('UPDATE rollups SET received_at_ms = received_at_ms + 1 WHERE id = ?', cur.id),
      () => raw.run('UPDATE rollups SET received_at_ms = received_at_ms - 1 WHERE id = ?', cur.id),
    ]);
  return out;
}

const problemsOf = (r: Awaited<ReturnType<typeof verifyAudit>>) => [
  ...r.records.flatMap((x) => x.problems.map((p) => `#${x.auditId}: ${p}`)),
  ...r.store,
];

function property(open: () => Promise<Opened>, numRuns: number) {
  return fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 3, maxLength: 9 }), fc.nat(), async (steps, at) => {
      const o = await open();
      try {
        await importDirectory(o.repo);
        // at least one window of each kind so every product has energy
        await o.repo.ingest({ rollups: decodeRollups(POOL.slice(0, 3)), deadLetters: [] });
        for (const step of [
          ...steps,
          { kind: 'store', product: 'widget', late: false, gwpSet: 'AR5', method: 'location' } as Step,
        ]) {
          await apply(o.repo, step);
          const report = await verifyAudit(o.repo);
          expect({ step, problems: problemsOf(report) }).toEqual({ step, problems: [] });
        }
        for (const [name, tamper, untamper] of await tampers(o.raw, at)) {
          await tamper();
          const report = await verifyAudit(o.repo);
          expect({ name, ok: report.ok }).toEqual({ name, ok: false });
          await untamper();
          expect({ name, problems: problemsOf(await verifyAudit(o.repo)) }).toEqual({ name, problems: [] });
        }
      } finally {
        await o.dispose();
      }
    }),
    { numRuns, seed: Number(process.env.PCF_EDGE_PROPERTY_SEED ?? 18) },
  );
}

describe('audit trail under late data (property)', () => {
  it(
    'SQLite: verify passes after every step; a tampered byte in any table fails it',
    () => property(openSqlite, 25),
    240_000,
  );
  const url = PG_URL;
  if (url) it('PostgreSQL: the same', () => property(() => openPg(url), 6), 240_000);
  else pgSkipNotice('audit property');
});
