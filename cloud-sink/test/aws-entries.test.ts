import { createLogger, type Logger } from '@pcf-edge/core';
import { Client } from 'pg';
import { createApiHandler } from '../src/aws/api';
import { readApiSettings } from '../src/aws/api-settings';
import { createConsumerHandler } from '../src/aws/consumer';
import { connectionString, openDatabase, parseDatabaseSecret } from '../src/aws/database';
import { createMigrateHandler } from '../src/aws/migrate';
import { createRecomputeHandler, previousMonth } from '../src/aws/recompute';
import { migratePostgres, openPostgresRepository } from '../src/store/postgres';
import {
  API_SECRET_ARN,
  apiSecret,
  DB_SECRET_ARN,
  dbSecretFor,
  dropSchema,
  expectScenario,
  fakeSecrets,
  freshSchemaName,
  httpEvent,
  kinesisEvent,
  LAMBDA_CONTEXT,
  runCloudScenario,
  type Entries,
} from './aws-scenario';
import { PG_URL, pgSkipNotice } from './pg-support';

/** A logger whose lines are kept, to check what reaches the log. */
function capturedLog(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  return {
    log: createLogger({ component: 'test', level: 'debug', destination: { write: (s: string) => lines.push(s) } }),
    text: () => lines.join(''),
  };
}

const SOURCE_ENTRIES: Entries = {
  consumer: createConsumerHandler,
  api: createApiHandler,
  migrate: createMigrateHandler,
  recompute: createRecomputeHandler,
};

describe('Lambda entries: settings and secrets', () => {
  const { log } = capturedLog();
  it('refuses an environment without the database secret, naming the variable', () => {
    expect(() => createConsumerHandler({ secrets: fakeSecrets(new Map()), env: {}, log })).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringContaining('PCF_EDGE_DB_SECRET_ARN'),
      }),
    );
    expect(() =>
      createApiHandler({
        secrets: fakeSecrets(new Map()),
        env: { PCF_EDGE_DB_SECRET_ARN: 'a', PCF_EDGE_DB_SSLMODE: 'prefer' },
        log,
      }),
    ).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining('PCF_EDGE_DB_SSLMODE') }),
    );
  });

  it('names the missing fields of a database secret, never its values', () => {
    let err: unknown;
    try {
      parseDatabaseSecret({ username: 'u', password: 'hunter2-secret', host: '', port: 'x' }, 'arn:db');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ERR_SECRET', details: { fields: ['host', 'dbname', 'port'] } });
    expect(JSON.stringify(err) + String((err as Error).message)).not.toContain('hunter2');
  });

  it('percent-encodes user and password and connects to the proxy host when one is given', () => {
    const s = parseDatabaseSecret(
      { username: 'app user', password: 'p@ss/w:rd', host: 'cluster', port: 5432, dbname: 'pcf' },
      'x',
    );
    expect(connectionString(s, { host: 'proxy.example', sslMode: 'verify-full' })).toBe(
      'postgres://app%20user:p%40ss%2Fw%3Ard@proxy.example:5432/pcf?sslmode=verify-full',
    );
  });

  it('reports a secret that is not JSON or cannot be read with ERR_SECRET', async () => {
    const secrets = fakeSecrets(new Map([[DB_SECRET_ARN, '{not json']]));
    const settings = { secretArn: DB_SECRET_ARN, sslMode: 'disable' as const };
    await expect(openDatabase({ secrets, settings, log, poolSize: 1 })).rejects.toMatchObject({ code: 'ERR_SECRET' });
    await expect(
      openDatabase({ secrets, settings: { ...settings, secretArn: 'other' }, log, poolSize: 1 }),
    ).rejects.toMatchObject({
      code: 'ERR_SECRET',
      details: { transient: true },
    });
  });

  it('API settings: an OpenID Connect issuer for people (Cognito) from the environment; signing keys required', async () => {
    const secrets = fakeSecrets(new Map([[API_SECRET_ARN, await apiSecret()]]));
    const env = { PCF_EDGE_API_SETTINGS_SECRET_ARN: API_SECRET_ARN };
    const cognito = 'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Abc123';
    expect((await readApiSettings(secrets, env)).api.oidc).toBeUndefined();
    const withOidc = await readApiSettings(secrets, {
      ...env,
      PCF_EDGE_OIDC_ISSUER: cognito,
      PCF_EDGE_OIDC_AUDIENCE: 'dashboard-client',
      PCF_EDGE_OIDC_SCOPE_PREFIX: 'pcf-edge/',
    });
    expect(withOidc.api.oidc).toEqual({ issuer: cognito, audience: 'dashboard-client', scopePrefix: 'pcf-edge/' });
    const withGroups = await readApiSettings(secrets, {
      ...env,
      PCF_EDGE_OIDC_ISSUER: cognito,
      PCF_EDGE_OIDC_AUDIENCE: 'dashboard-client',
      PCF_EDGE_OIDC_GROUPS_CLAIM: 'cognito:groups',
    });
    expect(withGroups.api.oidc).toEqual({
      issuer: cognito,
      audience: 'dashboard-client',
      scopePrefix: '',
      groupsClaim: 'cognito:groups',
    });
    await expect(readApiSettings(secrets, { ...env, PCF_EDGE_OIDC_ISSUER: cognito })).rejects.toThrow(
      'PCF_EDGE_OIDC_AUDIENCE is required with PCF_EDGE_OIDC_ISSUER',
    );
    const { signingKeys: _dropped, ...withoutKeys } = JSON.parse(await apiSecret()) as Record<string, unknown>;
    const noKeys = fakeSecrets(new Map([[API_SECRET_ARN, JSON.stringify(withoutKeys)]]));
    await expect(readApiSettings(noKeys, env)).rejects.toThrow('signingKeys (a JWK Set) is required');
  });

  it('previousMonth is the calendar month before, in UTC', () => {
    expect(previousMonth(Date.parse('2027-01-02T03:00:00Z'))).toEqual({
      label: '2026-12',
      periodStart: '2026-12-01T00:00:00.000Z',
      periodEnd: '2027-01-01T00:00:00.000Z',
    });
  });
});

const describePg = PG_URL !== undefined ? describe : describe.skip;
if (PG_URL === undefined) pgSkipNotice('Lambda entries');

describePg('Lambda entries on PostgreSQL (sources)', () => {
  const url = PG_URL!;
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropSchema(url, s);
  });
  const envFor = (schema: string): NodeJS.ProcessEnv => ({
    PCF_EDGE_DB_SECRET_ARN: DB_SECRET_ARN,
    PCF_EDGE_DB_SSLMODE: 'disable',
    PCF_EDGE_DB_SCHEMA: schema,
    PCF_EDGE_API_SETTINGS_SECRET_ARN: API_SECRET_ARN,
    PCF_EDGE_METRICS_NAMESPACE: 'PcfEdge/test',
    AWS_LAMBDA_FUNCTION_NAME: 'consumer-fn',
  });

  it('migrates, imports through the API, ingests, recomputes and serves footprints', async () => {
    const schema = freshSchemaName();
    schemas.push(schema);
    const captured = capturedLog();
    const secrets = fakeSecrets(
      new Map([
        [DB_SECRET_ARN, dbSecretFor(url)],
        [API_SECRET_ARN, await apiSecret()],
      ]),
    );
    const r = await runCloudScenario(SOURCE_ENTRIES, { secrets, env: envFor(schema), log: captured.log });
    await expectScenario(r, url, schema);
    expect(captured.text()).not.toContain(new URL(url).password === '' ? 'x'.repeat(40) : `:${new URL(url).password}@`);
  });

  it('reports every record for retry when the database cannot be reached, and says so in its metrics', async () => {
    const dead = JSON.stringify({ ...JSON.parse(dbSecretFor(url)), port: 1 });
    const metrics: string[] = [];
    const consumer = createConsumerHandler({
      secrets: fakeSecrets(new Map([[DB_SECRET_ARN, dead]])),
      env: envFor(freshSchemaName()),
      log: capturedLog().log,
      emit: (l) => metrics.push(l),
    });
    const event = kinesisEvent([Buffer.from('{}'), Buffer.from('{}')], 10);
    expect(await consumer(event)).toEqual({
      batchItemFailures: event.Records.map((x) => ({ itemIdentifier: x.kinesis.sequenceNumber })),
    });
    await consumer.close();
    expect(JSON.parse(metrics[0]!)).toMatchObject({
      Function: 'consumer-fn',
      Records: 2,
      FailedRecords: 2,
      DeadLetteredRecords: 0,
    });
  });

  it('reads the secret again after the password was rotated', async () => {
    const schema = freshSchemaName();
    schemas.push(schema);
    const role = `r_${schema}`;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD 'first-password'`);
      // the schema is migrated by the deploy's migrate function before any other entry runs (ADR 0181)
      await migratePostgres({ connectionString: url, schema });
      const u = new URL(url);
      const secretFor = (password: string) =>
        JSON.stringify({
          username: role,
          password,
          host: u.hostname,
          port: Number(u.port || 5432),
          dbname: u.pathname.slice(1),
        });
      const values = new Map([[DB_SECRET_ARN, secretFor('first-password')]]);
      const secrets = fakeSecrets(values);
      const captured = capturedLog();
      const consumer = createConsumerHandler({
        secrets,
        env: envFor(schema),
        log: captured.log,
        emit: () => undefined,
      });
      const batch = (n: number) => kinesisEvent([Buffer.from('not json')], n);
      expect(await consumer(batch(1))).toEqual({ batchItemFailures: [] });
      // rotation: new password in the role and the secret; open sessions of the old one end
      await admin.query(`ALTER ROLE ${role} PASSWORD 'second-password'`);
      values.set(DB_SECRET_ARN, secretFor('second-password'));
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      // the pool's dead session fails one invocation, the refused login the next; Lambda retries their records
      const outcomes: number[] = [];
      for (let n = 2; n < 6 && outcomes.at(-1) !== 0; n++)
        outcomes.push((await consumer(batch(n))).batchItemFailures.length);
      await consumer.close();
      expect(outcomes.at(-1)).toBe(0);
      expect(outcomes.length).toBeLessThanOrEqual(3);
      expect(secrets.asked.filter((a) => a === DB_SECRET_ARN).length).toBe(2);
      expect(captured.text()).not.toMatch(/first-password|second-password/);
      const repo = await openPostgresRepository({ connectionString: url, schema });
      expect((await repo.listDeadLetters()).length).toBeGreaterThanOrEqual(2);
      await repo.close();
    } finally {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      await dropSchema(url, schema);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('refuses requests that bypass CloudFront before they reach the app', async () => {
    const schema = freshSchemaName();
    schemas.push(schema);
    await migratePostgres({ connectionString: url, schema }); // as the deploy's migrate function does first
    const secrets = fakeSecrets(
      new Map([
        [DB_SECRET_ARN, dbSecretFor(url)],
        [API_SECRET_ARN, await apiSecret()],
      ]),
    );
    const api = createApiHandler({ secrets, env: envFor(schema), log: capturedLog().log });
    const res = await api(
      httpEvent('GET', '/', { headers: { 'x-pcf-edge-origin-verify': 'wrong-value-of-same-len' } }),
      LAMBDA_CONTEXT,
    );
    await api.close();
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body!)).toEqual({ code: 'AccessDenied', message: expect.stringContaining('CloudFront') });
  });
});
