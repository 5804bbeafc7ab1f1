import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { ARCHITECTURES, type RecipeArch } from './components';
import { checkElf } from './elf';
import { BUILD_CACHE, publish } from './runtime';

export { checkElf } from './elf';

/**
 * The C toolchain for `arch` on this (amd64) machine: the host compilers for amd64, Debian's aarch64 cross
 * toolchain (`gcc-aarch64-linux-gnu`, `g++-aarch64-linux-gnu`) for aarch64. Building for amd64 on an aarch64
 * machine is not supported.
 */
export function toolchainEnv(arch: RecipeArch): Record<string, string> {
  if (ARCHITECTURES[arch] === process.arch) return {};
  if (arch === 'aarch64' && process.arch === 'x64') {
    const t = 'aarch64-linux-gnu';
    return { CC: `${t}-gcc`, CXX: `${t}-g++`, LINK: `${t}-g++`, AR: `${t}-ar`, STRIP: `${t}-strip` };
  }
  throw new Error(
    `cannot build ${arch} addons on ${process.arch}: only native builds and amd64 → aarch64 are supported`,
  );
}

const NODE_GYP = require.resolve('node-gyp/bin/node-gyp.js');

/**
 * better-sqlite3's addon for `arch`, compiled from the sources in node_modules (the package's own prebuilds are
 * not used: every shipped addon is built here, from one source, by one toolchain) with node-gyp against the
 * runtime's headers (`nodedir`). better-sqlite3 13 is a Node-API addon, so one build serves every Node ≥ 22.
 * Cached per (better-sqlite3 version, runtime version, arch).
 */
export function betterSqlite3Addon(repoRoot: string, arch: RecipeArch, nodedir: string, nodeVersion: string): string {
  const pkgDir = join(repoRoot, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(BUILD_CACHE, `better-sqlite3-${version}-node-${nodeVersion}-${arch}`);
  const addon = join(dir, 'better_sqlite3.node');
  if (existsSync(addon)) return addon;
  mkdirSync(BUILD_CACHE, { recursive: true });
  const work = mkdtempSync(join(BUILD_CACHE, `.better-sqlite3-${arch}-`));
  try {
    for (const f of ['binding.gyp', 'package.json', 'deps', 'src', 'lib'])
      cpSync(join(pkgDir, f), join(work, f), { recursive: true });
    // The user's npm configuration may set nodedir (it overrides --nodedir): the environment wins over both.
    const env = {
      ...process.env,
      ...toolchainEnv(arch),
      npm_config_nodedir: nodedir,
      npm_config_arch: ARCHITECTURES[arch],
      NODE_PATH: join(repoRoot, 'node_modules'),
    };
    execFileSync(
      process.execPath,
      [
        NODE_GYP,
        'rebuild',
        '--release',
        '--force_build=1',
        `--nodedir=${nodedir}`,
        `--arch=${ARCHITECTURES[arch]}`,
        '-j',
        '2',
      ],
      { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const built = join(work, 'build', 'Release', 'better_sqlite3.node');
    checkElf(built, arch);
    const out = join(work, 'out');
    mkdirSync(out);
    copyFileSync(built, join(out, 'better_sqlite3.node'));
    publish(out, dir);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`building better-sqlite3 for ${arch} failed: ${(err as Error).message}\n${stderr.slice(-4000)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return addon;
}

/** Copies `from` to `to` keeping only files for which `keep` is true (folders recreated). */
function copyTree(from: string, to: string, keep: (name: string) => boolean): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) copyTree(src, join(to, name), keep);
    else if (keep(name)) copyFileSync(src, join(to, name));
  }
}

/**
 * Copies better-sqlite3 (JavaScript, no sources) into `<stage>/node_modules`, with the addon for `arch` at
 * `prebuilds/linux-<x64|arm64>.node`, where the package's loader looks for the running architecture (there is no
 * build/Release in the zip, and no upstream prebuild).
 */
export function stageBetterSqlite3(repoRoot: string, stage: string, arch: RecipeArch, addon: string): void {
  const from = join(repoRoot, 'node_modules', 'better-sqlite3');
  const to = join(stage, 'node_modules', 'better-sqlite3');
  copyTree(join(from, 'lib'), join(to, 'lib'), (name) => name.endsWith('.js'));
  for (const f of ['package.json', 'LICENSE']) copyFileSync(join(from, f), join(to, f));
  mkdirSync(join(to, 'prebuilds'), { recursive: true });
  checkElf(addon, arch);
  copyFileSync(addon, join(to, 'prebuilds', `linux-${ARCHITECTURES[arch]}.node`));
}
