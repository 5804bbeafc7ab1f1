import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import type { Logger } from '@pcf-edge/core';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createFootprintPublisher } from '../pact/publish';
import type { CloudSinkRepository } from '../store/repository';
import { registerDashboard } from '../dashboard/static';
import type { ApiConfig } from './config';
import { errorHandler } from './errors';
import { withReferenceCache } from './reference-cache';
import { registerOpsRoutes } from './ops-routes';
import { registerPactRoutes } from './pact-routes';
import { lazyChildLoggerFactory } from './request-logger';
import { registerTokenRoute } from './token-route';
import { createTokenStore } from './tokens';

export interface ApiServerDeps {
  repo: CloudSinkRepository;
  config: ApiConfig;
  log: Logger;
  now?: () => number;
  /** How often stored results are published as footprints (ms); 0 = only at start and after an API calculation. */
  publishIntervalMs?: number;
  /** Receives every accepted PACT event (default: logged). */
  onEvent?: (event: Record<string, unknown>) => void;
}

/**
 * Builds the cloud-sink HTTP server (PACT API v2, operational API, dashboard) without listening: the caller calls
 * `listen` (or `inject` in tests) and `close`. Publishing of footprints runs when the server is ready, after every
 * stored API calculation and every `publishIntervalMs`. The repository stays the caller's to close.
 */
export function createApiServer(deps: ApiServerDeps): FastifyInstance {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ stage: 'api' });
  const app: FastifyInstance = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } },
    return503OnClosing: true,
    childLoggerFactory: lazyChildLoggerFactory(log),
  });
  const tokens = createTokenStore(deps.config.tokenTtlSec, now);
  const repo = withReferenceCache(deps.repo);
  const publisher = createFootprintPublisher({ repo, company: deps.config.pact, log, now });
  const publish = () =>
    publisher.sync().catch((err: unknown) => {
      log.error({ err }, 'publishing footprints failed');
    });
  let timer: NodeJS.Timeout | undefined;

  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler((_req, reply) => reply.status(404).send({ code: 'NotFound', message: 'no such route' }));
  app.addHook('onResponse', (req, reply, done) => {
    req.log.debug(
      { method: req.method, route: req.routeOptions.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
    done();
  });
  // security headers from one helmet middleware built here; @fastify/helmet built a new one for every request (~7 % of
  // the server's CPU for a distinct ad-hoc calculation)
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
      },
    },
  });
  app.addHook('onRequest', (req, reply, done) =>
    securityHeaders(req.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)),
  );
  void app.register(rateLimit, { global: false });
  app.addContentTypeParser(
    'application/cloudevents+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );
  void app.register((scope, _opts, done) => {
    registerTokenRoute(scope, deps.config, tokens);
    registerPactRoutes(scope, {
      repo,
      config: deps.config,
      tokens,
      onEvent: deps.onEvent ?? ((e) => log.info({ type: e.type, id: e.id, source: e.source }, 'PACT event accepted')),
    });
    registerOpsRoutes(scope, { repo, config: deps.config, tokens, published: publish, now });
    done();
  });
  registerDashboard(app);
  app.addHook('onReady', async () => {
    await publish();
    if (deps.publishIntervalMs) {
      timer = setInterval(() => {
        void publish();
      }, deps.publishIntervalMs);
      timer.unref();
    }
  });
  app.addHook('onClose', (_app, done) => {
    if (timer) clearInterval(timer);
    done();
  });
  return app;
}
