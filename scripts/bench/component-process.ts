/**
 * A Greengrass component measured as a gateway runs it (ADR 0227), for the collector benchmarks
 * (collect-modbus.ts, collect-opcua.ts): its main.js bundled exactly as `npm run build:components` bundles it, with
 * this machine's native addons staged beside it, started by plain node with the environment its recipe's Setenv
 * gives node, and measured from outside through /proc (proc-usage.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { IPC_SOCKET_ENV, IPC_TOKEN_ENV } from '@pcf-edge/greengrass-ipc';
import { bundle } from '../build-components';
import { stageAwsCrt } from '../build/aws-crt';
import { ARCHITECTURES, COMPONENTS, type RecipeArch } from '../build/components';
import { stageSerialport } from '../build/serialport';
import { watchProcess, type UsageWindow } from './proc-usage';

export const ROOT = join(__dirname, '..', '..');
/** Under node_modules, so that the packages a bundle leaves out (better-sqlite3, …) resolve from the repository. */
export const BENCH_CACHE = join(ROOT, 'node_modules', '.cache', 'pcf-edge-bench');

function thisArch(): RecipeArch {
  const arch = (Object.keys(ARCHITECTURES) as RecipeArch[]).find((a) => ARCHITECTURES[a] === process.arch);
  if (!arch || process.platform !== 'linux') throw new Error(`the bench runs on Linux x64 or arm64`);
  return arch;
}

/**
 * The component in components/<dir> bundled as `npm run build:components` bundles it, with this machine's native
 * addons staged beside it as in its zip (better-sqlite3 resolves from the repository). Returns its main.js.
 */
export async function buildComponentBundle(dir: string): Promise<string> {
  const arch = thisArch();
  const spec = COMPONENTS.find((c) => c.dir === dir);
  if (!spec) throw new Error(`no component ${dir}`);
  const stage = join(BENCH_CACHE, spec.dir);
  rmSync(stage, { recursive: true, force: true });
  await bundle(spec, join(ROOT, 'components', spec.dir), stage);
  stageAwsCrt(ROOT, stage, arch);
  if (spec.serialPort) stageSerialport(ROOT, stage, arch);
  return join(stage, 'main.js');
}

/**
 * What the recipe's Setenv gives node beside the Greengrass paths (the entries that interpolate nothing, such as
 * NODE_OPTIONS; ADR 0255). Read from the recipe itself, this machine's manifest, so the bench starts node exactly
 * as a deployment does.
 */
export function recipeNodeEnv(componentName: string): Record<string, string> {
  const arch = thisArch();
  const recipe = parseYaml(readFileSync(join(ROOT, 'recipes', `${componentName}.yaml`), 'utf8')) as {
    Manifests: { Platform: { architecture: string }; Lifecycle: { Setenv?: Record<string, string> } }[];
  };
  const manifest = recipe.Manifests.find((m) => m.Platform.architecture === arch);
  if (!manifest) throw new Error(`${componentName}'s recipe has no manifest for ${arch}`);
  return Object.fromEntries(Object.entries(manifest.Lifecycle.Setenv ?? {}).filter(([, v]) => !v.includes('{')));
}

/** The recipe's ComponentConfiguration.DefaultConfiguration: what a deployment merges the site's settings into. */
export function recipeDefaults(componentName: string): Record<string, unknown> {
  const recipe = parseYaml(readFileSync(join(ROOT, 'recipes', `${componentName}.yaml`), 'utf8')) as {
    ComponentConfiguration: { DefaultConfiguration: Record<string, unknown> };
  };
  return recipe.ComponentConfiguration.DefaultConfiguration;
}

export interface Measured {
  usage: UsageWindow;
  /** Lines the process wrote (stdout and stderr). */
  lines: string[];
}

export interface Started {
  child: ChildProcess;
  /** Lines the process wrote so far (stdout and stderr). */
  lines: string[];
  /** Resolves at the first line (already written or to come) that matches; rejects if the process exits first. */
  line(match: (line: string) => boolean): Promise<string>;
  /** SIGTERM (as Greengrass stops a component), then its exit; throws unless it exits 0. */
  stop(): Promise<void>;
}

/**
 * Starts `node <args>` in `cwd`. Environment: this one without Greengrass', log level and Node options, plus
 * `extraEnv`.
 */
export function startProcess(args: string[], cwd: string, extraEnv: Record<string, string> = {}): Started {
  const env = { ...process.env };
  for (const k of [IPC_SOCKET_ENV, IPC_TOKEN_ENV, 'LOG_LEVEL', 'NODE_OPTIONS']) delete env[k];
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on('line', (l) => {
      lines.push(l);
      for (const w of waiters.filter((x) => x.match(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    });
  const what = args.join(' ');
  return {
    child,
    lines,
    line(match) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then((code) => reject(new Error(`${what} exited with ${code}:\n${lines.slice(-20).join('\n')}`)));
      });
    },
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`${what} exited with ${code}:\n${lines.slice(-20).join('\n')}`);
    },
  };
}

/**
 * Runs `node <args>` (see startProcess), opens the measuring window at the first line that matches `ready`, closes
 * it `seconds` later, then stops the process with SIGTERM and waits for its exit.
 */
export async function measureProcess(
  args: string[],
  cwd: string,
  ready: (line: string) => boolean,
  seconds: number,
  extraEnv: Record<string, string> = {},
): Promise<Measured> {
  const p = startProcess(args, cwd, extraEnv);
  await p.line(ready);
  const window = watchProcess(p.child.pid!);
  await sleep(seconds * 1000);
  const usage = window.end();
  await p.stop();
  return { usage, lines: p.lines };
}
