import type { FastifyInstance } from 'fastify';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The dashboard's static files (public, no token): every file of `public/` at `/<name>` (index.html also at `/`)
 * and chart.js's UMD build from node_modules at `/vendor/chart.umd.js`. A fixed list read once at start, so no
 * request path ever reaches the file system.
 */
export function registerDashboard(app: FastifyInstance): void {
  const publicDir = join(__dirname, 'public');
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(publicDir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(`/${name}`, { type, body: readFileSync(join(publicDir, name)) });
  }
  const chart = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
  files.set('/vendor/chart.umd.js', { type: TYPES['.js']!, body: readFileSync(chart) });
  files.set('/', files.get('/index.html')!);
  for (const [path, file] of files) {
    app.get(path, (_req, reply) => reply.header('cache-control', 'no-cache').type(file.type).send(file.body));
  }
}
