import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { systemClock, type Clock, type Logger, type RetrySettings } from '@pcf-edge/core';
import { createKinesisExporter, type KinesisExporter, type KinesisExportSettings } from './kinesis-export';
import { createHandlers } from './handlers';
import { openStorage } from './storage';
import { StreamRegistry } from './streams';
import { serveConnection } from './connection';

export interface StreamManagerServerConfig {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Folder of the File-persistence database. */
  dir: string;
  /** Accepted Connect auth tokens; empty ⇒ no check. */
  requireTokens?: string[];
  /** Expiry sweep period (ms); default 1000. */
  expireEveryMs?: number;
  export?: Partial<Omit<KinesisExportSettings, 'retry'>> & { retry?: Partial<RetrySettings> };
}

export interface StreamManagerServerDeps {
  log: Logger;
  clock?: Clock;
  /** Kinesis client for exports; without one exports do not run (describe says so). */
  kinesis?: KinesisClient;
}

export interface StreamManagerServer {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  readonly registry: StreamRegistry;
}

export const SERVER_VERSION = '1.1.0-pcf-edge-local';

/** The local Stream Manager: the Stream Manager wire protocol on TCP, SQLite storage, Kinesis export. */
export function createStreamManagerServer(
  config: StreamManagerServerConfig,
  deps: StreamManagerServerDeps,
): StreamManagerServer {
  const clock = deps.clock ?? systemClock;
  const log = deps.log;
  const storage = openStorage(config.dir);
  const registry = new StreamRegistry(storage, clock, log.child({ stage: 'streams' }));
  let exporter: KinesisExporter | undefined;
  if (deps.kinesis) {
    const settings: KinesisExportSettings = {
      concurrency: 4,
      tickMs: 250,
      lingerMs: 200,
      quietMs: 20,
      ...config.export,
      retry: { initialDelayMs: 500, maxDelayMs: 10_000, multiplier: 2, jitter: 'none', ...config.export?.retry },
    };
    exporter = createKinesisExporter(settings, {
      registry,
      kinesis: deps.kinesis,
      clock,
      log: log.child({ stage: 'export' }),
    });
    registry.onAppend(() => exporter?.wake());
  }
  const handlers = createHandlers({ registry, exporter });
  const sockets = new Map<Socket, AbortController>();
  const tokens = new Set(config.requireTokens ?? []);
  let server: Server | undefined;
  let expireTimer: NodeJS.Timeout | undefined;

  return {
    registry,
    async start() {
      server = createServer((socket) => {
        const abort = new AbortController();
        socket.setNoDelay(true);
        sockets.set(socket, abort);
        socket.on('close', () => {
          abort.abort();
          sockets.delete(socket);
        });
        serveConnection(socket, {
          handlers,
          tokens,
          signal: abort.signal,
          serverVersion: SERVER_VERSION,
          clientIdentifier: randomUUID(),
          log: log.child({ stage: 'connection', remotePort: socket.remotePort }),
        });
      });
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(config.port, config.host ?? '127.0.0.1', () => {
          s.off('error', reject);
          resolve();
        });
      });
      s.on('error', (err) => log.error({ err }, 'stream manager server error'));
      expireTimer = setInterval(() => registry.expire(), config.expireEveryMs ?? 1000);
      expireTimer.unref();
      exporter?.start();
      const port = (s.address() as AddressInfo).port;
      log.info(
        { port, dir: config.dir, auth: tokens.size > 0, export: exporter !== undefined },
        'local Stream Manager listening',
      );
      return { port };
    },
    async stop() {
      if (expireTimer) clearInterval(expireTimer);
      const s = server;
      server = undefined;
      for (const [socket, abort] of sockets) {
        abort.abort();
        socket.destroy();
      }
      registry.wakeAll();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
      await exporter?.stop();
      storage.file.close();
      storage.memory.close();
    },
  };
}
