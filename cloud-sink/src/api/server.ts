import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import type { Logger } from '@pcf-edge/core';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import { createEventDelivery, type EventDeliveryWorker } from '../pact/event-delivery';
import { createPactEventService, type PactEventService } from '../pact/event-service';
import { createFootprintPublisher } from '../pact/publish';
import { publishedDeliveries } from '../pact/published-events';
import { v2RequestMatcher, v3RequestMatcher } from '../pact/request-match';
import { PcfService } from '../service/pcf-service';
import type { CloudSinkRepository } from '../store/repository';
import { openSecurityStore, type SecurityStore } from '../store/security-store';
import { registerDashboard } from '../dashboard/static';
import { registerAdminRoutes } from './admin-routes';
import { authenticate } from './auth';
import type { ApiConfig } from './config';
import { errorHandler } from './errors';
import { withReferenceCache } from './reference-cache';
import { registerOpsRoutes } from './ops-routes';
import { registerReferenceRoutes } from './reference-routes';
import { registerExportRoutes } from './export-routes';
import { baseUrl, registerPactRoutes } from './pact-routes';
import { createV3Views, registerPactV3Routes } from './pact-v3-routes';
import { lazyChildLoggerFactory } from './request-logger';
import { ensureSigningKeys, openKeyRing, type KeyRing } from './signing-keys';
import { registerDiscovery, registerTokenRoute } from './token-route';
import { createOidcOrigins, registerOidcRoute } from './oidc-route';
import { createTokenService } from './tokens';
import { createGrantCache } from './visibility';

export interface ApiServerDeps {
  repo: CloudSinkRepository;
  config: ApiConfig;
  log: Logger;
  /** The process's PCF service (its caches); one over `repo` is created when absent. */
  pcf?: PcfService;
  now?: () => number;
  /** How often stored results are published as footprints (ms); 0 = only at start and after an API calculation. */
  publishIntervalMs?: number;
  /** Token-signing keys (default: the config's key file, created when missing). */
  keys?: KeyRing;
  /** HTTPS (`serve --tls-cert --tls-key`) and proxy trust, passed to Fastify. */
  https?: { cert: Buffer; key: Buffer };
  trustProxy?: boolean | string;
  /** Outbound HTTP for PACT event delivery (tests). */
  fetch?: typeof fetch;
}

/** `iss` of the tokens this API signs: its public base URL, or a fixed name shared by instances without one. */
export const DEFAULT_ISSUER = 'urn:pcf-edge:api';

/**
 * Builds the cloud-sink HTTP server (PACT API v2 and v3, operational and admin API, dashboard) without listening:
 * the caller calls `listen` (or `inject` in tests) and `close`. At ready: the config's clients are written to the
 * database, footprints are published, PACT event delivery starts. The repository stays the caller's to close.
 */
export function createApiServer(
  deps: ApiServerDeps,
): FastifyInstance & { security: SecurityStore; events: PactEventService; delivery: EventDeliveryWorker } {
  const now = deps.now ?? Date.now;
  const { config } = deps;
  const log = deps.log.child({ stage: 'api' });
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: deps.trustProxy ?? false,
    requestTimeout: config.timeouts.requestMs,
    keepAliveTimeout: config.timeouts.keepAliveMs,
    connectionTimeout: config.timeouts.requestMs,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } },
    return503OnClosing: true,
    childLoggerFactory: lazyChildLoggerFactory(log),
    ...(deps.https ? { https: deps.https } : {}),
  } as FastifyServerOptions) as unknown as FastifyInstance;
  app.server.headersTimeout = config.timeouts.headersMs;
  const repo = withReferenceCache(deps.repo);
  const security = openSecurityStore(deps.repo, now);
  if (!deps.keys) ensureSigningKeys(config.signingKeysFile);
  const keys = deps.keys ?? openKeyRing(config.signingKeysFile, now);
  const base = baseUrl(config);
  const tokens = createTokenService({
    keys,
    issuer: config.publicBaseUrl ?? DEFAULT_ISSUER,
    audience: config.audience,
    ttlSec: config.tokenTtlSec,
    ...(config.oidc ? { oidc: config.oidc } : {}),
    now,
  });
  const oidcOrigins = createOidcOrigins(tokens);
  const grants = createGrantCache(security, now);
  const v3 = createV3Views(repo);
  const delivery = createEventDelivery({
    security,
    policy: config.events,
    log,
    now,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const events = createPactEventService({
    repo,
    security,
    grants,
    delivery,
    baseUrl: base,
    log,
    now,
    view: async (v, f) => (v === 2 ? f.doc : v3(f)),
    matcher: (v, data) => (v === 2 ? v2RequestMatcher(data) : v3RequestMatcher(data, v3)),
  });
  const publisher = createFootprintPublisher({
    repo,
    company: config.pact,
    log,
    now,
    announce: publishedDeliveries({ security, grants, baseUrl: base, now }),
  });
  const pcf = deps.pcf ?? new PcfService(repo);
  const publish = () =>
    publisher
      .sync()
      .then((report) => {
        // the publisher queued the Published events with the footprints (ADR 0235): deliver them now
        if (report.events.length > 0) void delivery.kick();
        return report;
      })
      .catch((err: unknown) => {
        log.error({ err }, 'publishing footprints failed');
        return undefined;
      });
  let timer: NodeJS.Timeout | undefined;

  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler((_req, reply) => reply.status(404).send({ code: 'NotFound', message: 'no such route' }));
  app.addHook('onResponse', (req, reply, done) => {
    req.log.debug(
      {
        method: req.method,
        route: req.routeOptions.url,
        status: reply.statusCode,
        ms: reply.elapsedTime,
        clientId: req.principal?.clientId,
      },
      'request',
    );
    done();
  });
  // security headers from one helmet middleware built here (@fastify/helmet built one per request)
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        // the people's issuer token endpoint: the dashboard exchanges its authorization code there (ADR 0198)
        connectSrc: [() => oidcOrigins.connectSrc()],
      },
    },
  });
  app.addHook('onRequest', (req, reply, done) =>
    securityHeaders(req.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)),
  );
  // the token is verified before the rate limit, which keys on the client id it names (the address without one)
  app.addHook('onRequest', authenticate(tokens));
  void app.register(rateLimit, {
    global: true,
    max: (req) => (req.principal ? config.rateLimit.perClient : config.rateLimit.anonymous),
    timeWindow: config.rateLimit.windowMs,
    keyGenerator: (req) =>
      req.principal ? `client:${req.principal.issuer}:${req.principal.clientId}` : `ip:${req.ip}`,
  });
  app.addContentTypeParser(
    'application/cloudevents+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );
  void app.register((scope, _opts, done) => {
    registerTokenRoute(scope, config, { tokens, security });
    registerDiscovery(scope, { tokens, base, keys });
    registerOidcRoute(scope, config, oidcOrigins);
    const pactDeps = { repo, config, grants, events };
    registerPactRoutes(scope, pactDeps);
    registerPactV3Routes(scope, { ...pactDeps, v3 });
    registerOpsRoutes(scope, { repo, pcf, config, published: publish, now });
    registerReferenceRoutes(scope, { repo, config });
    registerExportRoutes(scope, { repo });
    registerAdminRoutes(scope, { security, grants });
    done();
  });
  registerDashboard(app);
  app.addHook('onReady', async () => {
    for (const c of config.clients) await security.upsertClient(c);
    if (config.oidc)
      await oidcOrigins.refresh().catch((err: unknown) => {
        log.warn(
          { err, issuer: config.oidc?.issuer },
          'OIDC discovery failed; people cannot sign in until it succeeds',
        );
      });
    await publish();
    delivery.start();
    if (deps.publishIntervalMs) {
      timer = setInterval(() => {
        void publish();
      }, deps.publishIntervalMs);
      timer.unref();
    }
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
    await delivery.stop();
  });
  return Object.assign(app, { security, events, delivery });
}
