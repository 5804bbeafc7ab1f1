import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PcfError, type Logger } from '@pcf-edge/core';
import type { ApiConfig } from './config';

/** `--tls-cert` and `--tls-key` (PEM files), both or neither. */
export function tlsFiles(cert: string | undefined, key: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined)
    throw new PcfError('ERR_USAGE', 'serve: --tls-cert and --tls-key go together');
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new PcfError('ERR_USAGE', `serve: ${flag} ${file}: ${(err as Error).message}`);
    }
  };
  return { cert: read('--tls-cert', cert), key: read('--tls-key', key) };
}

/** `--workers n|auto` → a worker count (auto: one per core). */
export function workerCount(text: string): number {
  const n = text === 'auto' ? availableParallelism() : Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new PcfError('ERR_USAGE', `serve: --workers must be 1–256 or auto (got '${text}')`);
  return n;
}

/**
 * The command line's part of the configuration. The public base URL comes from `--public-base-url`, else the
 * config, else the listening address (port 0: none, links are relative); behind a proxy (`--trust-proxy`) it must be
 * given and https, so nothing the API advertises depends on the request.
 */
export function withServeOverrides(
  config: ApiConfig,
  o: {
    host: string;
    port: number;
    tls: boolean;
    publicBaseUrl?: string;
    signingKeysFile?: string;
    trustProxy: boolean;
  },
): ApiConfig {
  const given = o.publicBaseUrl ?? config.publicBaseUrl;
  if (given !== undefined && !/^https?:\/\/[^/\s]+(\/[^\s]*[^/\s])?$/.test(given))
    throw new PcfError(
      'ERR_USAGE',
      `serve: --public-base-url '${given}' must be http(s)://host[:port][/path] without a trailing /`,
    );
  if (o.trustProxy && !given?.startsWith('https://'))
    throw new PcfError('ERR_USAGE', 'serve: --trust-proxy needs --public-base-url https://… (the address clients use)');
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const derived = o.port !== 0 ? `${o.tls ? 'https' : 'http'}://${host}:${o.port}` : undefined;
  const publicBaseUrl = given ?? derived;
  return {
    ...config,
    ...(publicBaseUrl ? { publicBaseUrl } : {}),
    ...(o.signingKeysFile ? { signingKeysFile: o.signingKeysFile } : {}),
  };
}

/**
 * The primary of `serve --workers n`: forks n copies of this process (same arguments), which share the listening
 * port through node:cluster and nothing else but the database and the signing-key file. A worker that dies is
 * replaced; a signal stops them all. `done` resolves with the exit code once every worker has exited after a stop.
 */
export async function startWorkers(
  n: number,
  io: { log: Logger; onSignal: (stop: () => Promise<void>) => void },
): Promise<{ url: string; done: Promise<number> }> {
  let stopping = false;
  const live = new Set<Worker>();
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let url = '';
  const fork = () =>
    new Promise<void>((resolve, reject) => {
      const w = cluster.fork();
      live.add(w);
      w.on('message', (m: { listening?: string }) => {
        if (!m.listening) return;
        url = m.listening;
        resolve();
      });
      w.on('exit', (code, signal) => {
        live.delete(w);
        if (stopping) {
          if (live.size === 0) resolveDone(0);
          return;
        }
        io.log.error({ workerPid: w.process.pid, code, signal }, 'API worker exited; starting another');
        reject(new Error(`worker exited with ${code ?? signal}`));
        void fork().catch(() => undefined);
      });
    });
  io.onSignal(async () => {
    stopping = true;
    if (live.size === 0) resolveDone(0);
    for (const w of live) w.kill('SIGTERM');
    await done;
  });
  try {
    await Promise.all(Array.from({ length: n }, fork));
  } catch (err) {
    stopping = true;
    for (const w of live) w.kill('SIGTERM');
    throw new PcfError('ERR_USAGE', `serve: a worker failed to start: ${(err as Error).message}`);
  }
  return { url, done };
}
