import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPcfError, type Logger } from '@pcf-edge/core';
import type { FaultSpec } from './scenario/types';
import type { MeterSimulator } from './simulator';

/**
 * Small HTTP control endpoint on loopback:
 *   POST   /faults         body {target, type, ...FaultSpec}  → 201 {id, target, type, atMs, endMs}
 *   DELETE /faults[?target=x]                                 → 200 {cleared: n}
 *   GET    /truth[?ts=<epoch ms>]                             → 200 truth snapshot (default: now)
 * Bad input → 400 {error: code, message}.
 */
export interface ControlServer {
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw Object.assign(new Error('body is not JSON'), { status: 400 });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function createControlServer(
  sim: MeterSimulator,
  opts: { host?: string; port: number; log: Logger },
): ControlServer {
  const host = opts.host ?? '127.0.0.1';
  let port = opts.port;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://control');
    if (url.pathname === '/faults' && req.method === 'POST') {
      const body = (await readJson(req)) as Partial<FaultSpec> & { target?: unknown };
      if (!body || typeof body !== 'object' || typeof body.target !== 'string')
        return send(res, 400, { error: 'ERR_USAGE', message: 'body needs a string "target"' });
      const { target, ...spec } = body;
      const f = await sim.injectFault(target, spec as FaultSpec);
      return send(res, 201, {
        id: f.id,
        target: f.target,
        type: f.type,
        atMs: f.atMs,
        endMs: Number.isFinite(f.endMs) ? f.endMs : null,
      });
    }
    if (url.pathname === '/faults' && req.method === 'DELETE') {
      return send(res, 200, { cleared: await sim.clearFaults(url.searchParams.get('target') ?? undefined) });
    }
    if (url.pathname === '/truth' && req.method === 'GET') {
      const ts = url.searchParams.has('ts') ? Number(url.searchParams.get('ts')) : sim.now();
      if (!Number.isFinite(ts)) return send(res, 400, { error: 'ERR_USAGE', message: 'ts must be epoch milliseconds' });
      return send(res, 200, sim.truth.at(ts));
    }
    send(res, 404, { error: 'ERR_NOT_FOUND', message: `no route ${req.method ?? ''} ${url.pathname}` });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status =
        (err as { status?: number }).status ?? (isPcfError(err) ? (err.code === 'ERR_NOT_FOUND' ? 404 : 400) : 500);
      if (status === 500) opts.log.error({ err }, 'control request failed');
      send(res, status, { error: isPcfError(err) ? err.code : 'ERR_USAGE', message: (err as Error).message });
    });
  });
  return {
    get port() {
      return port;
    },
    async start() {
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
      port = (server.address() as AddressInfo).port;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
