import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { isPcfError, PcfError, type Logger } from '@pcf-edge/core';
import type { FastifyInstance } from 'fastify';
import { openRepository, storeLocation, type StoreLocation } from '../store/open';
import type { CloudSinkRepository } from '../store/repository';
import cluster from 'node:cluster';
import { apiConfig, loadApiConfig, type ApiConfig } from './config';
import { hashSecret } from './secrets';
import { createApiServer } from './server';
import { ensureSigningKeys } from './signing-keys';
import { startWorkers, tlsFiles, withServeOverrides, workerCount } from './serve-options';

export const SERVE_HELP = `usage: npm run cloud-sink -- serve [--port 8080] [--host 127.0.0.1] [--db <file> | --database-url postgres://…] [options]

Serves the PACT Data Exchange API v2 (/2/…) and v3 (/3/…), /auth/token, discovery, the operational API (/api/…),
the admin API (/api/admin/…) and the dashboard (/) until SIGINT/SIGTERM.
  --db <file>                 SQLite database (default .pcf-edge/cloud-sink.sqlite)
  --database-url <url>        PostgreSQL instead of SQLite (or env PCF_EDGE_DATABASE_URL, so no password sits in argv:
                              a URL holding one is refused here); --db-schema <name> or env PCF_EDGE_DATABASE_SCHEMA
                              picks the schema (default public). The schema must be migrated (cloud-sink migrate).
  --config <file>             JSON/YAML: bootstrap clients (secrets scrypt-hashed), token TTL, rate limits, timeouts,
                              ad-hoc cap, OIDC issuer, PACT company fields (docs/adr/0081, 0190). Without it one client
                              'local' (scopes ops:read ops:write admin pact) is created whose secret is env
                              PCF_EDGE_CLIENT_SECRET or a random one printed once.
  --signing-keys <file>       token-signing key set (JWK Set, mode 0600; created when missing), shared by every
                              instance (default: the config's signingKeysFile, .pcf-edge/api-signing-keys.json)
  --tls-cert <file> --tls-key <file>   serve HTTPS with this certificate chain and key (PEM)
  --public-base-url <url>     base of every advertised URL (Link, discovery, token issuer, event source); default
                              the listening address. Never taken from the request's Host header.
  --trust-proxy               behind a TLS-terminating proxy: client addresses from X-Forwarded-For (rate limits);
                              needs an https --public-base-url
  --workers <n|auto>          n worker processes sharing the port (auto: one per CPU core); they share nothing
                              but the database and the signing keys
  --publish-interval-ms <n>   how often stored results are published as PACT footprints (default 5000; 0 = off)`;

export interface StartServerOptions {
  port: number;
  host: string;
  /** The store (default: SQLite at `db`, or the default file). */
  store?: StoreLocation;
  /** SQLite file, used when `store` is absent. */
  db?: string;
  config: ApiConfig;
  publishIntervalMs: number;
  log: Logger;
  tls?: { cert: Buffer; key: Buffer };
  trustProxy?: boolean;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  repo: CloudSinkRepository;
  stop(): Promise<void>;
}

/** Opens the store, builds the server and listens; `stop` closes the server, then the store. For scripts and `serve`. */
export async function startServer(o: StartServerOptions): Promise<RunningServer> {
  const repo = await openRepository(o.store ?? storeLocation(o.db ? { db: o.db } : {}, {}));
  const app = createApiServer({
    repo,
    config: o.config,
    log: o.log,
    publishIntervalMs: o.publishIntervalMs,
    ...(o.tls ? { https: o.tls } : {}),
    ...(o.trustProxy ? { trustProxy: true } : {}),
  });
  try {
    await app.listen({ port: o.port, host: o.host });
  } catch (err) {
    await app.close();
    await repo.close();
    throw new PcfError(
      'ERR_USAGE',
      `serve: cannot listen on ${o.host}:${o.port}: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  let stopped: Promise<void> | undefined;
  return {
    url: `${o.tls ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    app,
    repo,
    stop: () => (stopped ??= app.close().then(() => repo.close())),
  };
}

/** The config used without --config: one local client holding every scope. */
export async function localConfig(secret: string): Promise<ApiConfig> {
  return apiConfig(
    {
      clients: [
        { clientId: 'local', secretHash: await hashSecret(secret), scopes: ['ops:read', 'ops:write', 'admin', 'pact'] },
      ],
    },
    'built-in local config',
  );
}

export interface ServeIo {
  out: (text: string) => void;
  err: (text: string) => void;
  log: Logger;
  onSignal: (stop: () => Promise<void>) => void;
}

/** `serve` command: runs until a signal stops it; returns the exit code (0, 1 failure, 2 usage). */
export async function serveCommand(argv: string[], io: ServeIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        db: { type: 'string' },
        'database-url': { type: 'string' },
        'db-schema': { type: 'string' },
        config: { type: 'string' },
        'signing-keys': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'public-base-url': { type: 'string' },
        'trust-proxy': { type: 'boolean' },
        workers: { type: 'string', default: '1' },
        'publish-interval-ms': { type: 'string', default: '5000' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      io.out(SERVE_HELP);
      return 0;
    }
    const port = Number(values.port),
      interval = Number(values['publish-interval-ms']);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new PcfError('ERR_USAGE', `serve: --port must be 0–65535 (got '${values.port}')`);
    if (!Number.isInteger(interval) || interval < 0)
      throw new PcfError('ERR_USAGE', 'serve: --publish-interval-ms must be a non-negative integer');
    const tls = tlsFiles(values['tls-cert'], values['tls-key']);
    const workers = workerCount(values.workers!);
    const store = storeLocation(
      { db: values.db, databaseUrl: values['database-url'], dbSchema: values['db-schema'] },
      process.env,
    );
    let config: ApiConfig;
    let generated: string | undefined;
    if (values.config) config = loadApiConfig(values.config);
    else {
      const secret = process.env.PCF_EDGE_CLIENT_SECRET ?? (generated = randomBytes(18).toString('base64url'));
      process.env.PCF_EDGE_CLIENT_SECRET = secret; // workers make the same client
      config = await localConfig(secret);
    }
    config = withServeOverrides(config, {
      host: values.host!,
      port,
      tls: tls !== undefined,
      ...(values['public-base-url'] ? { publicBaseUrl: values['public-base-url'] } : {}),
      ...(values['signing-keys'] ? { signingKeysFile: values['signing-keys'] } : {}),
      trustProxy: values['trust-proxy'] === true,
    });
    if (workers > 1 && cluster.isPrimary) {
      ensureSigningKeys(config.signingKeysFile);
      // the primary migrates the database once, so the workers never race to create tables
      await (await openRepository(store)).close();
      const pool = await startWorkers(workers, io);
      io.out(`cloud-sink API and dashboard on ${pool.url}/ (${workers} workers)`);
      if (generated)
        io.out(
          `client id 'local', secret ${generated} (generated for this run; set PCF_EDGE_CLIENT_SECRET or --config to fix it)`,
        );
      return await pool.done;
    }
    const server = await startServer({
      ...(tls ? { tls } : {}),
      ...(values['trust-proxy'] ? { trustProxy: true } : {}),
      port,
      host: values.host!,
      store,
      config,
      publishIntervalMs: interval,
      log: io.log,
    });
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    io.onSignal(async () => {
      await server.stop();
      resolveDone();
    });
    if (cluster.isWorker) {
      process.send?.({ listening: server.url });
      await done;
      process.disconnect?.(); // the IPC channel to the primary would keep a stopped worker alive
      return 0;
    }
    io.out(`cloud-sink API and dashboard on ${server.url}/`);
    if (generated)
      io.out(
        `client id 'local', secret ${generated} (generated for this run; set PCF_EDGE_CLIENT_SECRET or --config to fix it)`,
      );
    await done;
    return 0;
  } catch (err) {
    // a worker that failed must exit: the IPC channel to the primary would keep it alive
    if (cluster.isWorker) process.disconnect?.();
    if (isPcfError(err)) {
      io.err(`error ${err.code}: ${err.message}`);
      return err.code === 'ERR_USAGE' ? 2 : 1;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`error ERR_USAGE: serve: ${(err as Error).message} (see --help)`);
      return 2;
    }
    throw err;
  }
}
