import { silentLogger } from '@pcf-edge/core';
import { serveCommand } from '../src/api/serve';
import { basic } from './api-helpers';
import { tempDb } from './helpers';

describe('serve command', () => {
  const io = () => {
    const out: string[] = [], err: string[] = [];
    const stops: (() => Promise<void>)[] = [];
    return { out, err, stops, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), log: silentLogger(), onSignal: (s: () => Promise<void>) => stops.push(s) } };
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
    const res = await fetch(`${url}/auth/token`, { method: 'POST', headers: { authorization: basic('local', secret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(res.status).toBe(200);
    await Promise.all(a.stops.map((s) => s()));
    expect(await running).toBe(0);
    await t.cleanup();
  });
});
