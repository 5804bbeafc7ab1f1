/**
 * How bench:api starts `cloud-sink serve`: as deployed (`bundle`: cloud-sink/src/main.ts built by esbuild into one
 * CommonJS file with the options of the API Lambda's bundle, cloud-sink/infra/src/lambda.ts, and run with plain
 * node through the Lambda's handler file, which turns source maps on before loading the bundle, ADR 0272) or from the
 * sources (`tsx`: node with tsx's loader,
 * which transpiles every module at start and roughly doubled the CPU per request in one profiled run,
 * docs/perf/2026-12-api-workers.md). The server is the child process itself (no wrapper), so its pid is the server's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { processStat } from './fleet-proc';

export type ServerKind = 'bundle' | 'tsx';
export const SERVER_KINDS: readonly ServerKind[] = ['bundle', 'tsx'];

/**
 * Builds the server bundle into `outDir` (inside the repository, so that the externals — better-sqlite3's native
 * addon, chart.js's UMD file the dashboard serves — resolve from its node_modules) with the dashboard's static folder
 * beside it, where `registerDashboard` reads it (`public/` next to the bundle, as in the Lambda's asset). Returns the
 * path of the handler file beside it (main.js), which node runs.
 */
export async function buildServerBundle(root: string, outDir: string): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  const outfile = join(outDir, 'index.js');
  await build({
    entryPoints: [join(root, 'cloud-sink/src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    sourcemap: true,
    keepNames: true,
    // a native addon and an optional one; chart.js is only resolved (its UMD file is served), never bundled
    external: ['better-sqlite3', 'pg-native', 'chart.js'],
    logLevel: 'warning',
  });
  cpSync(join(root, 'cloud-sink/src/dashboard/public'), join(outDir, 'public'), { recursive: true });
  // main.js beside it, as in every Lambda asset: source maps on, then index.js
  const entry = join(outDir, 'main.js');
  cpSync(join(root, 'cloud-sink/infra/src/source-maps-entry.cjs'), entry); // lambda.ts's SOURCE_MAPS_ENTRY
  return entry;
}

/** The command that starts `serve` of `kind` (`bundle`: the file `buildServerBundle` returned) with `args`. */
export function serverCommand(kind: ServerKind, bundle: string | undefined, args: string[]): string[] {
  // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  if (kind === 'tsx') return [...prof, '--import', 'tsx', 'cloud-sink/src/main.ts', 'serve', ...args];
  if (!bundle) throw new Error('internal: the server bundle was not built');
  return [...prof, bundle, 'serve', ...args];
}

/** Starts the server; resolves with its URL once it prints that it listens. */
export function startServerProcess(
  root: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/\S+?)\/\s/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}`));
    });
  });
}

/**
 * User + system CPU ms of process `pid` and of its child processes (the workers of `serve --workers n`), from /proc
 * (Linux); null when `pid` cannot be read. A process's own CPU covers all its threads (GC, libuv pool).
 */
export function processTreeCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const own = processStat(pid);
  if (!own) return null;
  let sec = own.cpuSec;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    const s = processStat(Number(entry));
    if (s && s.ppid === pid) sec += s.cpuSec;
  }
  return sec * 1000;
}

/**
 * The bare baseline: plain node:http in its own process answering request k with `bodies[k % n]` (uncached answers
 * of the real server), no framework, no authentication, nothing computed — what serving those bytes to the same load
 * costs on this machine, the floor under the uncached figures.
 */
export function startBareServer(root: string, bodies: Buffer[]): Promise<{ child: ChildProcess; url: string }> {
  const code = `const bodies = JSON.parse(process.env.BARE_BODIES).map((b) => Buffer.from(b, 'base64'));
let k = 0;
require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = bodies[k++ % bodies.length];
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body);
  });
}).listen(0, '127.0.0.1', function () { console.log('bare server on http://127.0.0.1:' + this.address().port + '/ '); });
process.on('SIGINT', () => process.exit(0));`;
  return startServerProcess(root, ['-e', code], {
    ...process.env,
    BARE_BODIES: JSON.stringify(bodies.map((b) => b.toString('base64'))),
  });
}
