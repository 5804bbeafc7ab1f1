import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@pcf-edge/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  CloudFormationCustomResourceEvent,
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import { Client } from 'pg';
import { hashSecret } from '../src/api/secrets';
import { newSigningKey } from '../src/api/signing-keys';
import { signedBatch, TEST_GATEWAY_KEY } from './helpers';
import { DEMO_DIR, IMPORT_ORDER } from '../src/service/demo';
import { PcfService } from '../src/service/pcf-service';
import { openPostgresRepository } from '../src/store/postgres';
import { demoBatch } from '../src/service/demo-rollups';

/** The factories each Lambda entry module exports (from the sources or from a synthesized bundle). */
export interface EntryDeps {
  secrets: { send(command: GetSecretValueCommand): Promise<{ SecretString?: string }> };
  env: NodeJS.ProcessEnv;
  log: Logger;
  emit?: (line: string) => void;
  now?: () => number;
}
export interface Entries {
  consumer: (
    deps: EntryDeps,
  ) => ((event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>) & { close(): Promise<void> };
  api: (deps: EntryDeps) => ((
    event: APIGatewayProxyEventV2,
    ctx: Context,
  ) => Promise<APIGatewayProxyStructuredResultV2>) & {
    close(): Promise<void>;
  };
  migrate: (deps: EntryDeps) => (event: CloudFormationCustomResourceEvent) => Promise<{ PhysicalResourceId: string }>;
  recompute: (
    deps: EntryDeps,
  ) => (event: unknown) => Promise<{ computed: { product: string; status: string }[]; published: number }>;
}

export const DB_SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:pcf-edge-db-AbCdEf';
export const API_SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:pcf-edge-api-AbCdEf';
export const ORIGIN_VERIFY = 'origin-verify-0123456789abcdef';
export const OPS = { id: 'ops', secret: 'ops-secret-for-tests' };

/** Secrets Manager stand-in: answers GetSecretValue from a map and records every secret id asked for. */
export function fakeSecrets(values: Map<string, string>) {
  const asked: string[] = [];
  return {
    asked,
    send: async (command: GetSecretValueCommand) => {
      const id = command.input.SecretId!;
      asked.push(id);
      const v = values.get(id);
      if (v === undefined)
        throw Object.assign(new Error(`Secrets Manager can't find the specified secret.`), {
          name: 'ResourceNotFoundException',
        });
      return { SecretString: v };
    },
  };
}

/** The RDS-shaped secret of a local PostgreSQL URL (postgres://user:password@host:port/db). */
export function dbSecretFor(url: string): string {
  const u = new URL(url);
  return JSON.stringify({
    engine: 'postgres',
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    host: u.hostname,
    port: Number(u.port || 5432),
    dbname: u.pathname.slice(1),
  });
}

export async function apiSecret(): Promise<string> {
  return JSON.stringify({
    api: {
      clients: [
        {
          clientId: OPS.id,
          secretHash: await hashSecret(OPS.secret),
          scopes: ['ops:read', 'ops:write', 'pact', 'admin'],
        },
      ],
    },
    originVerify: ORIGIN_VERIFY,
    signingKeys: { keys: [newSigningKey(0, Math.floor(Date.now() / 1000))] },
  });
}

export function freshSchemaName(): string {
  return `t_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

/** An API Gateway HTTP API (payload 2.0) event as CloudFront forwards it. */
export function httpEvent(
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string; query?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(o.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: { host: 'abc123.execute-api.eu-central-1.amazonaws.com', ...(o.headers ?? {}) },
    ...(o.query ? { queryStringParameters: o.query } : {}),
    requestContext: {
      accountId: '111111111111',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-central-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'jest' },
      requestId: randomBytes(8).toString('hex'),
      routeKey: '$default',
      stage: '$default',
      time: '02/Nov/2026:10:00:00 +0000',
      timeEpoch: Date.parse('2026-11-02T10:00:00Z'),
    },
    ...(o.body !== undefined ? { body: o.body } : {}),
    isBase64Encoded: false,
  };
}

export const LAMBDA_CONTEXT = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'cloud-sink-api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-central-1:111111111111:function:cloud-sink-api',
  memoryLimitInMB: '1024',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/cloud-sink-api',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

export const STREAM_ARN = 'arn:aws:kinesis:eu-central-1:111111111111:stream/pcf-rollups';

/** A Kinesis event source mapping's event carrying the given payloads in one shard. */
export function kinesisEvent(payloads: Buffer[], firstSeq = 1): KinesisStreamEvent {
  return {
    Records: payloads.map((data, i) => ({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${firstSeq + i}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::111111111111:role/consumer',
      awsRegion: 'eu-central-1',
      eventSourceARN: STREAM_ARN,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'plant-1',
        sequenceNumber: String(49_000_000_000_000 + firstSeq + i),
        data: data.toString('base64'),
        approximateArrivalTimestamp: 1_793_613_600,
      },
    })),
  };
}

export const DEMO_PERIOD = { periodStart: '2026-11-02T06:00:00Z', periodEnd: '2026-11-02T10:00:00Z' };

/**
 * The cloud half end to end, through the four entries only: migrate (twice: idempotent), upload the demo reference
 * data through the API, ingest the demo day through the consumer (plus one record that is not JSON), recompute the
 * demo period, then read footprints through the PACT API. Returns what a test asserts on.
 */
export async function runCloudScenario(entries: Entries, deps: Omit<EntryDeps, 'emit'>) {
  const metrics: string[] = [];
  const migrate = entries.migrate(deps);
  const cfn = (RequestType: 'Create' | 'Update') =>
    ({
      RequestType,
      ServiceToken: 'arn:aws:lambda:eu-central-1:111111111111:function:provider',
      ResponseURL: 'https://cloudformation-custom-resource-response.example/',
      StackId: 'arn:aws:cloudformation:eu-central-1:111111111111:stack/PcfEdgeCloud/1',
      RequestId: randomBytes(4).toString('hex'),
      LogicalResourceId: 'Schema',
      ResourceType: 'Custom::CloudSinkSchema',
      ResourceProperties: { ServiceToken: 'x' },
      ...(RequestType === 'Update'
        ? { PhysicalResourceId: 'pcf-edge-cloud-sink-schema', OldResourceProperties: {} }
        : {}),
    }) as CloudFormationCustomResourceEvent;
  const migrations = [await migrate(cfn('Create')), await migrate(cfn('Update'))];

  const api = entries.api(deps);
  const consumer = entries.consumer({ ...deps, emit: (line) => metrics.push(line) });
  try {
    return await scenarioSteps(entries, deps, api, consumer, migrations, metrics);
  } finally {
    await api.close();
    await consumer.close();
  }
}

async function scenarioSteps(
  entries: Entries,
  deps: Omit<EntryDeps, 'emit'>,
  api: ReturnType<Entries['api']>,
  consumer: ReturnType<Entries['consumer']>,
  migrations: { PhysicalResourceId: string }[],
  metrics: string[],
) {
  const call = (e: APIGatewayProxyEventV2) => api(e, LAMBDA_CONTEXT);
  const viaCloudFront = (h: Record<string, string> = {}) => ({ 'x-pcf-edge-origin-verify': ORIGIN_VERIFY, ...h });
  const basic = `Basic ${Buffer.from(`${OPS.id}:${OPS.secret}`).toString('base64')}`;
  const tokenRes = await call(
    httpEvent('POST', '/auth/token', {
      headers: viaCloudFront({ authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }),
      body: 'grant_type=client_credentials',
    }),
  );
  const token = (JSON.parse(tokenRes.body ?? '{}') as { access_token?: string }).access_token ?? '';
  const bearer = viaCloudFront({ authorization: `Bearer ${token}` });

  const uploads: { kind: string; status: number | undefined }[] = [];
  for (const kind of IMPORT_ORDER) {
    for (const [ext, type] of [
      ['csv', 'text/csv'],
      ['json', 'application/json'],
    ] as const) {
      const file = join(DEMO_DIR, `${kind}.${ext}`);
      if (!existsSync(file)) continue;
      const res = await call(
        httpEvent('POST', `/api/reference/${kind}`, {
          headers: { ...bearer, 'content-type': type },
          body: readFileSync(file, 'utf8'),
        }),
      );
      uploads.push({ kind, status: res.statusCode });
    }
  }

  // the demo gateway's key and the footprints the ops client reads over PACT, registered through the admin API
  const admin = async (path: string, body: unknown) =>
    call(
      httpEvent('POST', path, {
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  await admin('/api/admin/gateways', {
    gatewayId: 'demo-gateway',
    keyId: TEST_GATEWAY_KEY.kid,
    publicKey: TEST_GATEWAY_KEY.x,
    sites: ['plant-1'],
  });
  await admin('/api/admin/grants', { clientId: OPS.id, kind: 'companyId', value: 'urn:pcf-edge:company:demo' });
  const ingest = await consumer(kinesisEvent([signedBatch(demoBatch()), Buffer.from('not json at all')]));

  const recompute = entries.recompute(deps);
  const request = { ...DEMO_PERIOD, method: 'location', gwpSet: 'AR5', shareKey: 'units', overheadKey: 'mass' };
  const recomputed = await recompute(request);
  const recomputedAgain = await recompute(request); // nothing new since: nothing stored, nothing published

  const footprints = await call(httpEvent('GET', '/2/footprints', { headers: bearer }));
  const bypass = await call(httpEvent('GET', '/2/footprints', { headers: { authorization: `Bearer ${token}` } }));
  const dashboard = await call(httpEvent('GET', '/', { headers: viaCloudFront() }));
  const chart = await call(httpEvent('GET', '/vendor/chart.umd.js', { headers: viaCloudFront() }));
  return {
    migrations,
    tokenRes,
    uploads,
    ingest,
    metrics,
    recomputed,
    recomputedAgain,
    footprints,
    bypass,
    dashboard,
    chart,
  };
}

/** What the scenario must show, from sources or from bundles alike. */
export async function expectScenario(r: Awaited<ReturnType<typeof runCloudScenario>>, url: string, schema: string) {
  expect(r.migrations.map((m) => m.PhysicalResourceId)).toEqual([
    'pcf-edge-cloud-sink-schema',
    'pcf-edge-cloud-sink-schema',
  ]);
  expect(r.tokenRes.statusCode).toBe(200);
  expect(r.uploads.length).toBe(9);
  for (const u of r.uploads) expect(u).toEqual({ kind: u.kind, status: 201 });
  expect(r.ingest).toEqual({ batchItemFailures: [] });
  expect(JSON.parse(r.metrics[0]!)).toMatchObject({ Records: 2, FailedRecords: 0, DeadLetteredRecords: 1 });
  expect(r.recomputed.computed.map((c) => c.product)).toEqual(['housing', 'steel-sheet', 'widget']);
  expect(r.recomputed.published).toBeGreaterThan(0);
  expect(r.recomputed.computed.map((c) => c.status)).toEqual(['new', 'new', 'new']);
  expect(r.recomputedAgain.computed.map((c) => c.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  expect(r.recomputedAgain.published).toBe(0);
  expect(r.footprints.statusCode).toBe(200);
  const fps = (
    JSON.parse(r.footprints.body!) as { data: { productIds: string[]; pcf: { pCfExcludingBiogenic: string } }[] }
  ).data;
  expect(fps.length).toBe(r.recomputed.published);
  expect(r.bypass.statusCode).toBe(403);
  expect(r.dashboard.statusCode).toBe(200);
  expect(r.dashboard.body).toContain('<html');
  expect(r.chart.statusCode).toBe(200);
  expect((r.chart.body ?? '').length).toBeGreaterThan(100_000);
  // the same numbers as the sources compute on the same database
  const repo = await openPostgresRepository({ connectionString: url, schema });
  try {
    expect(await repo.countRollups()).toBe(48);
    const results = await repo.listResults();
    const widget = results.find((x) => x.subject === 'widget')!;
    const { doc } = await new PcfService(repo).calculateProduct('widget', {
      ...DEMO_PERIOD,
      periodStart: new Date(DEMO_PERIOD.periodStart).toISOString(),
      periodEnd: new Date(DEMO_PERIOD.periodEnd).toISOString(),
      method: 'location',
      gwpSet: 'AR5',
      shareKey: 'units',
      overheadKey: 'mass',
    });
    expect((widget.result as { pcfPerDeclaredUnit: string }).pcfPerDeclaredUnit).toBe(doc.pcfPerDeclaredUnit);
  } finally {
    await repo.close();
  }
}
