import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { silentLogger } from '@pcf-edge/core';
import { startServer } from '../src/api/serve';
import { withServeOverrides } from '../src/api/serve-options';
import { serveCommand } from '../src/api/serve';
import { basic, READER, testConfig } from './api-helpers';
import { tempDb } from './helpers';

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (t: string) => out.push(t),
      err: (t: string) => err.push(t),
      log: silentLogger(),
      onSignal: () => undefined,
    },
  };
};

describe('serve: TLS, proxies, workers', () => {
  it('behind --trust-proxy advertises the configured https base whatever Host and X-Forwarded-* say', async () => {
    const t = tempDb();
    const config = withServeOverrides(await testConfig({ publicBaseUrl: undefined }), {
      host: '127.0.0.1',
      port: 0,
      tls: false,
      publicBaseUrl: 'https://pcf.example.com/pact',
      trustProxy: true,
    });
    const server = await startServer({
      db: t.file,
      port: 0,
      host: '127.0.0.1',
      config,
      publishIntervalMs: 0,
      log: silentLogger(),
      trustProxy: true,
    });
    try {
      const res = await fetch(`${server.url}/.well-known/openid-configuration`, {
        headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
      });
      expect(await res.json()).toMatchObject({
        issuer: 'https://pcf.example.com/pact',
        token_endpoint: 'https://pcf.example.com/pact/auth/token',
        jwks_uri: 'https://pcf.example.com/pact/.well-known/jwks.json',
      });
    } finally {
      await server.stop();
      await t.cleanup();
    }
  });

  it('refuses --trust-proxy without an https --public-base-url, and half a TLS pair', async () => {
    const a = io();
    expect(await serveCommand(['--trust-proxy', '--port', '0'], a.io)).toBe(2);
    expect(a.err.join('')).toContain('--trust-proxy needs --public-base-url https://');
    const b = io();
    expect(await serveCommand(['--trust-proxy', '--public-base-url', 'http://x.example', '--port', '0'], b.io)).toBe(2);
    const c = io();
    expect(await serveCommand(['--tls-cert', 'x.pem', '--port', '0'], c.io)).toBe(2);
    expect(c.err.join('')).toContain('--tls-cert and --tls-key go together');
  });

  it('serves HTTPS with --tls-cert and --tls-key', async () => {
    const t = tempDb();
    const cert = join(t.dir, 'cert.pem');
    const key = join(t.dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const config = withServeOverrides(await testConfig(), { host: '127.0.0.1', port: 0, tls: true, trustProxy: false });
    const server = await startServer({
      db: t.file,
      port: 0,
      host: '127.0.0.1',
      config,
      publishIntervalMs: 0,
      log: silentLogger(),
      tls: { cert: readFileSync(cert), key: readFileSync(key) },
    });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number>((ok, fail) => {
        const req = request(
          `${server.url}/auth/token`,
          {
            method: 'POST',
            ca: readFileSync(cert),
            headers: {
              authorization: basic(READER.id, READER.secret),
              'content-type': 'application/x-www-form-urlencoded',
            },
          },
          (res) => {
            res.resume();
            ok(res.statusCode ?? 0);
          },
        );
        req.on('error', fail);
        req.end('grant_type=client_credentials');
      });
      expect(status).toBe(200);
    } finally {
      await server.stop();
      await t.cleanup();
    }
  });

  it('runs --workers 2 as separate processes sharing the database and the key file', async () => {
    const t = tempDb();
    const root = resolve(__dirname, '../..');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'cloud-sink/src/main.ts'),
        'serve',
        '--port',
        '0',
        '--workers',
        '2',
        '--db',
        t.file,
        '--signing-keys',
        join(t.dir, 'keys.json'),
        '--publish-interval-ms',
        '0',
      ],
      { env: { ...process.env, PCF_EDGE_CLIENT_SECRET: 'workers-secret' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const url = await new Promise<string>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no start line: ${out}`)), 90_000); // two tsx workers on a busy machine
        child.stdout.on('data', () => {
          const m = /API and dashboard on (http:\/\/[^ ]+)\/ \(2 workers\)/.exec(out);
          if (m) {
            clearTimeout(timer);
            ok(m[1]!);
          }
        });
      });
      const tok = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: {
          authorization: basic('local', 'workers-secret'),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      const { access_token } = (await tok.json()) as { access_token: string };
      // new connections land on either worker: the token verifies on both
      const statuses = await Promise.all(
        Array.from({ length: 12 }, () =>
          fetch(`${url}/api/products`, { headers: { authorization: `Bearer ${access_token}` } }).then((r) => r.status),
        ),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await t.cleanup();
    }
  }, 180_000);
});
