import { silentLogger } from '@pcf-edge/core';
import { serveCommand } from '../src/api/serve';
import { migratePostgres } from '../src/store/postgres';
import { basic } from './api-helpers';
import { tempDb } from './helpers';
import { PG_URL } from './pg-support';
import { Client } from 'pg';

describe('serve command', () => {
  const io = () => {
    const out: string[] = [],
      err: string[] = [];
    const stops: (() => Promise<void>)[] = [];
    return {
      out,
      err,
      stops,
      io: {
        out: (t: string) => out.push(t),
        err: (t: string) => err.push(t),
        log: silentLogger(),
        onSignal: (s: () => Promise<void>) => stops.push(s),
      },
    };
  };

  it('prints help and rejects bad usage with exit code 2', async () => {
    const a = io();
    expect(await serveCommand(['--help'], a.io)).toBe(0);
    expect(a.out.join('')).toContain('--database-url');
    const b = io();
    expect(await serveCommand(['--port', 'http'], b.io)).toBe(2);
    expect(b.err.join('')).toContain('--port must be');
    const c = io();
    expect(await serveCommand(['--bogus'], c.io)).toBe(2);
    expect(c.err.join('')).toContain('ERR_USAGE');
  });

  it('serves until the signal handler stops it, with a generated local client secret', async () => {
    delete process.env.PCF_EDGE_CLIENT_SECRET;
    const t = tempDb();
    await t.repo.close();
    const a = io();
    const running = serveCommand(['--port', '0', '--db', t.file, '--publish-interval-ms', '0'], a.io);
    for (let i = 0; i < 200 && a.out.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const url = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(a.out[0] ?? '')![1]!;
    const secret = /secret (\S+) \(generated/.exec(a.out[1] ?? '')![1]!;
    const res = await fetch(`${url}/auth/token`, {
      method: 'POST',
      headers: { authorization: basic('local', secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(200);
    await Promise.all(a.stops.map((s) => s()));
    expect(await running).toBe(0);
    await t.cleanup();
  });

  (PG_URL !== undefined ? it : it.skip)(
    'serves from PostgreSQL given by PCF_EDGE_DATABASE_URL and --db-schema',
    async () => {
      process.env.PCF_EDGE_CLIENT_SECRET = 'pg-serve-secret';
      const schema = `t_serve_${process.pid}`;
      // a URL holding a password is refused in argv (the process list shows it)
      const refused = io();
      expect(await serveCommand(['--port', '0', '--database-url', PG_URL!], refused.io)).toBe(2);
      expect(refused.err.join('')).toMatch(/--database-url must not hold a password/);
      await migratePostgres({ connectionString: PG_URL!, schema });
      process.env.PCF_EDGE_DATABASE_URL = PG_URL;
      const a = io();
      const running = serveCommand(['--port', '0', '--db-schema', schema, '--publish-interval-ms', '0'], a.io);
      try {
        for (let i = 0; i < 300 && a.out.length < 1 && a.err.length === 0; i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(a.err).toEqual([]);
        const url = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(a.out[0] ?? '')![1]!;
        const tok = await fetch(`${url}/auth/token`, {
          method: 'POST',
          headers: {
            authorization: basic('local', 'pg-serve-secret'),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials',
        });
        const token = ((await tok.json()) as { access_token: string }).access_token;
        const res = await fetch(`${url}/2/footprints`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
      } finally {
        await Promise.all(a.stops.map((s) => s()));
        expect(await running).toBe(0);
        delete process.env.PCF_EDGE_CLIENT_SECRET;
        delete process.env.PCF_EDGE_DATABASE_URL;
        const c = new Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
    },
  );
});
