import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { makeRollupBatch, silentLogger } from '@pcf-edge/core';
import { startLocalKinesis, type LocalKinesis } from '../../test-support/kinesis';
import { runCli } from '../src/cli/run';
import { MIGRATIONS } from '../src/store/migrations';
import { startLocalS3 } from '../../test-support/s3';
import { s3Archive } from '../src/archive/s3';
import { createConsumerHandler } from '../src/aws/consumer';
import { DB_SECRET_ARN, dbSecretFor, fakeSecrets, kinesisEvent } from './aws-scenario';
import { lineRollup, signedBatch, tempDb, TEST_GATEWAY_KEY, type TempDb } from './helpers';
import { PG_URL, pgSkipNotice } from './pg-support';

/** Registers gateway gw-1's test key for plant-1 (the consumer accepts only batches signed by a registered key). */
const registerGw = [
  'gateways',
  'register',
  '--gateway',
  'gw-1',
  '--sites',
  'plant-1',
  '--key-id',
  TEST_GATEWAY_KEY.kid,
  '--public-key',
  TEST_GATEWAY_KEY.x,
];

/**
 * Every command on PostgreSQL (the URL from the environment, never argv), `migrate` run twice changing nothing on
 * either store, and the deployed consumer Lambda (`aws/consumer.ts`) on PostgreSQL. (cli.test.ts runs the same commands on SQLite.)
 */
const cli = async (env: NodeJS.ProcessEnv, ...args: string[]) => {
  const out: string[] = [],
    err: string[] = [];
  const code = await runCli(args, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    log: silentLogger(),
    onSignal: () => undefined,
    env,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

async function pgSchemaDump(url: string, schema: string): Promise<string> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const cols = await c.query(
      `SELECT table_name, column_name, data_type, ordinal_position FROM information_schema.columns
       WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
      [schema],
    );
    const idx = await c.query('SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname', [
      schema,
    ]);
    const versions = await c.query(`SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`);
    return JSON.stringify([cols.rows, idx.rows, versions.rows]);
  } finally {
    await c.end();
  }
}

function sqliteSchemaDump(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return JSON.stringify([
      db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all(),
      db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all(),
    ]);
  } finally {
    db.close();
  }
}

describe('cloud-sink migrate', () => {
  let t: TempDb;
  beforeEach(() => {
    t = tempDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('on SQLite: applies every migration once; running it again changes nothing', async () => {
    const file = join(t.dir, 'fresh.sqlite');
    const first = await cli({}, 'migrate', '--db', file);
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toContain('applied migration 7: energy and volume as integer micro-units');
    const dump = sqliteSchemaDump(file);
    expect(await cli({}, 'migrate', '--db', file)).toEqual({
      code: 0,
      out: `SQLite ${file}: schema already current`,
      err: '',
    });
    expect(sqliteSchemaDump(file)).toBe(dump);
  });

  it('refuses --db with --database-url, and a URL holding a password in argv', async () => {
    expect(await cli({}, 'results', '--db', 'x.sqlite', '--database-url', 'postgres://u@h/d')).toMatchObject({
      code: 2,
      err: 'error ERR_USAGE: give --db or --database-url, not both',
    });
    const withPassword = await cli({}, 'results', '--database-url', 'postgres://u:secret@h/d');
    expect(withPassword.code).toBe(2);
    expect(withPassword.err).toMatch(/must not hold a password/);
    expect(withPassword.err).not.toContain('secret');
  });
});

const url = PG_URL;
if (url === undefined) {
  pgSkipNotice('commands on PostgreSQL');
  it.skip('commands on PostgreSQL (PCF_EDGE_TEST_DATABASE_URL unset)', () => undefined);
} else
  describe('every command on PostgreSQL', () => {
    let schema: string;
    let env: NodeJS.ProcessEnv;
    let t: TempDb;
    let k: LocalKinesis;
    beforeAll(async () => {
      k = await startLocalKinesis({ shards: 2, streams: ['rollups'] });
    });
    afterAll(async () => {
      await k.stop();
    });
    beforeEach(() => {
      schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
      t = tempDb();
      env = { PCF_EDGE_DATABASE_URL: url, PCF_EDGE_DATABASE_SCHEMA: schema, PCF_EDGE_ARCHIVE: join(t.dir, 'archive') };
    });
    afterEach(async () => {
      await t.cleanup();
      const c = new Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    });

    it('refuses to work on a schema that was not migrated; migrate twice changes nothing', async () => {
      const before = await cli(env, 'results');
      expect(before.code).toBe(1);
      expect(before.err).toMatch(
        /lacks schema migrations 1, 2, .* that this cloud-sink needs: run `cloud-sink migrate` first/,
      );
      const first = await cli(env, 'migrate');
      expect(first.code).toBe(0);
      expect(first.out.split('\n')).toHaveLength(MIGRATIONS.length + 1); // every migration, and the summary
      expect(first.out).not.toContain('pcfedge:pcfedge'); // the password is never printed
      const dump = await pgSchemaDump(url, schema);
      expect((await cli(env, 'migrate')).out).toMatch(/schema already current$/);
      expect(await pgSchemaDump(url, schema)).toBe(dump);
    });

    it('imports, computes, lists, verifies, shows and consumes', async () => {
      expect((await cli(env, 'migrate')).code).toBe(0);
      expect((await cli(env, 'import-demo')).code).toBe(0);
      const csv = t.write(
        'factors.csv',
        'id,activity,region,unit,energyBasis,source,version,validFrom,validTo,CO2,CH4,N2O\nsif,natural-gas,US,mmBtu,gross,SIF,1,2020-01-01,,51.9,0.002,0.0003\n',
      );
      expect(await cli(env, 'import', 'factors', csv)).toMatchObject({
        code: 0,
        out: `imported 1 factors from ${csv} as reference version 10`,
      });
      const args = ['--product', 'widget', '--from', '2026-11-02T06:00:00Z', '--to', '2026-11-02T10:00:00Z'];
      const dry = await cli(env, 'pcf', ...args, '--gwp', 'AR5', '--overhead-key', 'mass', '--dry-run', '--json');
      const stored = await cli(env, 'pcf', ...args, '--gwp', 'AR5', '--overhead-key', 'mass', '--json');
      expect(stored.code).toBe(0);
      const { resultId, result } = JSON.parse(stored.out) as { resultId: string; result: unknown };
      expect(result).toEqual(JSON.parse(dry.out));
      // the same numbers as the demo end to end on SQLite
      expect((result as { pcfPerDeclaredUnit: string }).pcfPerDeclaredUnit).toMatch(/^13\.5688277458731381419/);
      expect((await cli(env, 'results')).out).toContain(resultId);
      expect(await cli(env, 'audit', 'verify')).toMatchObject({
        code: 0,
        out: expect.stringContaining('1 records, 0 failed'),
      });
      expect((await cli(env, 'audit', 'show', resultId)).out).toContain('PCF widget per piece');
      await k.client.send(
        new PutRecordsCommand({
          StreamName: 'rollups',
          Records: [
            {
              Data: signedBatch(
                makeRollupBatch(
                  'gw-1',
                  'plant-1',
                  [lineRollup('line-9', '2026-01-01T00:00:00.000Z', 1, 7)],
                  new Date(),
                ),
              ),
              PartitionKey: 'pk',
            },
          ],
        }),
      );
      // the consumer accepts only batches signed by a registered gateway key (ADR 0193)
      expect(await cli(env, ...registerGw)).toMatchObject({ code: 0 });
      const consumed = await cli(env, 'consume', '--stream', 'rollups', '--endpoint', k.endpoint, '--until-idle');
      expect(consumed).toMatchObject({ code: 0, out: expect.stringMatching(/^consumed 1 records: 1 rollups stored/) });
      // the consumed record was archived first: a replay of the archive into an empty SQLite file rebuilds it
      const into = join(t.dir, 'replayed.sqlite');
      expect(await cli({}, ...registerGw, '--db', into)).toMatchObject({ code: 0 });
      const replayed = await cli({}, 'replay', '--from', join(t.dir, 'archive'), '--db', into);
      expect(replayed.out).toMatch(/^replayed 1 batches from .*: 1 rollups, 1 revisions kept, 0 dead-lettered\n/);
      const digest = /current view: 1 rollups, sha256 [0-9a-f]{64}$/;
      expect(replayed.out).toMatch(digest);
      expect((await cli({}, 'replay', '--digest', '--db', into)).out).toBe(replayed.out.split('\n')[1]);
      expect(await cli({}, 'replay', '--db', into)).toMatchObject({
        code: 2,
        err: 'error ERR_USAGE: replay: --from <folder|s3://bucket/prefix/> is required (or --digest; see --help)',
      });
    });

    it('the deployed consumer Lambda stores into PostgreSQL and archives each record in S3', async () => {
      expect((await cli(env, 'migrate')).code).toBe(0);
      expect(await cli(env, ...registerGw)).toMatchObject({ code: 0 });
      const s3 = await startLocalS3(['raw']);
      const consumer = createConsumerHandler({
        secrets: fakeSecrets(new Map([[DB_SECRET_ARN, dbSecretFor(url)]])),
        env: {
          PCF_EDGE_DB_SECRET_ARN: DB_SECRET_ARN,
          PCF_EDGE_DB_SSLMODE: 'disable',
          PCF_EDGE_DB_SCHEMA: schema,
          PCF_EDGE_ARCHIVE_BUCKET: 'raw',
        },
        log: silentLogger(),
        emit: () => undefined,
        s3: s3.client,
      });
      try {
        const batch = makeRollupBatch(
          'gw-1',
          'plant-1',
          [lineRollup('line-1', '2026-01-01T00:00:00.000Z', 1, 3)],
          new Date(),
        );
        const data = signedBatch(batch);
        expect(await consumer(kinesisEvent([data]))).toEqual({ batchItemFailures: [] });
        const archive = s3Archive({ bucket: 'raw', client: s3.client });
        expect(await archive.list('batches')).toEqual([createHash('sha256').update(data).digest('hex')]);
      } finally {
        await consumer.close();
        await s3.close();
      }
      const c = new Client({ connectionString: url });
      await c.connect();
      const rows = await c.query(`SELECT electricity_ukwh FROM ${schema}.rollups`);
      await c.end();
      expect(rows.rows).toEqual([{ electricity_ukwh: '3000000' }]);
    });
  });
