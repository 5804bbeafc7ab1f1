import { timingSafeEqual } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import awsLambdaFastify from '@fastify/aws-lambda';
import { createLogger, type Logger } from '@pcf-edge/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createApiServer } from '../api/server';
import { openKeyRing } from '../api/signing-keys';
import { ORIGIN_VERIFY_HEADER, readApiSettings } from './api-settings';
import { databaseSettingsFromEnv, instanceResource, openDatabase, type OpenedDatabase } from './database';
import type { SecretsClient } from './secrets';

export interface ApiDeps {
  secrets: SecretsClient;
  env: NodeJS.ProcessEnv;
  log: Logger;
  now?: () => number;
}

/** The handler; `close` ends the app and the database pool (tests; Lambda just freezes the instance). */
export type ApiHandler = ((
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>) & {
  close(): Promise<void>;
};

const sameSecret = (given: string | undefined, expected: string) => {
  const a = Buffer.from(given ?? ''),
    b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * The PACT API, operational API and dashboard Lambda behind an API Gateway HTTP API (payload 2.0): the fastify app of
 * `serve` (`createApiServer`) driven by @fastify/aws-lambda, on PostgreSQL. Settings (clients, PACT company) come
 * from the API settings secret at cold start. Footprints are published when the app starts and after a stored
 * calculation (no interval timer: a frozen Lambda runs none); the scheduled recompute publishes too. With
 * `originVerify` set, a request without CloudFront's origin header gets 403 before it reaches the app.
 */
export function createApiHandler(deps: ApiDeps): ApiHandler {
  const settings = databaseSettingsFromEnv(deps.env);
  const instance = instanceResource(
    async () => {
      const api = await readApiSettings(deps.secrets, deps.env);
      const db: OpenedDatabase = await openDatabase({ secrets: deps.secrets, settings, log: deps.log, poolSize: 4 });
      const app = createApiServer({
        repo: db.repo,
        config: api.api,
        log: deps.log,
        publishIntervalMs: 0,
        keys: openKeyRing({ keys: api.signingKeys }),
        ...(deps.now ? { now: deps.now } : {}),
      });
      // the adapter before ready: it registers a request decorator (off: the app does not read the Lambda event)
      const proxy = awsLambdaFastify<APIGatewayProxyEventV2>(app, { decorateRequest: false });
      try {
        await app.ready();
      } catch (err) {
        await app.close().catch(() => undefined);
        await db.close();
        throw err;
      }
      return { db, app, proxy, originVerify: api.originVerify };
    },
    (s) => s.db.stale(),
    async (s) => {
      await s.app.close();
      await s.db.close();
    },
  );

  const handle = async (event: APIGatewayProxyEventV2, context: Context) => {
    const s = await instance.get();
    if (s.originVerify !== undefined) {
      const headers = event.headers ?? {};
      if (!sameSecret(headers[ORIGIN_VERIFY_HEADER], s.originVerify))
        return {
          statusCode: 403,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({
            code: 'AccessDenied',
            message: 'requests must come through the CloudFront distribution',
          }),
        };
      event = { ...event, headers: { ...headers } };
      delete event.headers[ORIGIN_VERIFY_HEADER];
    }
    return s.proxy(event, context);
  };
  return Object.assign(handle, { close: instance.close });
}

let deployed: ApiHandler | undefined;

/** Lambda entry point (`index.handler` in the bundle). */
export function handler(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  deployed ??= createApiHandler({
    secrets: new SecretsManagerClient({}),
    env: process.env,
    log: createLogger({ component: 'cloud-sink-api' }),
  });
  return deployed(event, context);
}
