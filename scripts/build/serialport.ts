import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import type { RecipeArch } from './components';
import { checkElf } from './elf';

/** Where the bundled serial port bindings look for their addon, relative to the bundle (main.js) folder. */
export const SERIALPORT_ROOT = join('node_modules', '@serialport', 'bindings-cpp');
/**
 * The addon shipped for each recipe architecture: the Linux glibc Node-API prebuild of `@serialport/bindings-cpp`
 * (any Node version), in the folder node-gyp-build searches for the running platform.
 */
export const SERIALPORT_PLATFORM: Record<RecipeArch, string> = { amd64: 'linux-x64', aarch64: 'linux-arm64' };

const ROOT_EXPRESSION = "(0, path_1.join)(__dirname, '../')";

/**
 * `@serialport/bindings-cpp` (under `serialport`, with which the Modbus collector opens an RTU bus; ADR 0225) loads
 * its addon through node-gyp-build from its package folder, `<dist>/..` from `__dirname`, which in a bundle is the
 * bundle's folder. This plugin points it at `<bundle>/node_modules/@serialport/bindings-cpp` instead, where
 * `stageSerialport` copies the package.json node-gyp-build reads and the addon. Fails the build if the loader
 * changed shape.
 */
export const serialportPlugin: Plugin = {
  name: 'serialport-binary-path',
  setup(build) {
    build.onLoad({ filter: /[\\/]@serialport[\\/]bindings-cpp[\\/]dist[\\/]serialport-bindings\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(ROOT_EXPRESSION))
        throw new Error(`${args.path}: "${ROOT_EXPRESSION}" not found; update scripts/build/serialport.ts`);
      return {
        contents: text.replace(ROOT_EXPRESSION, `(0, path_1.join)(__dirname, ${JSON.stringify(SERIALPORT_ROOT)})`),
        loader: 'js',
      };
    });
  },
};

/**
 * Copies package.json, the licence and the glibc addon for `arch` into
 * `<stage>/node_modules/@serialport/bindings-cpp/prebuilds/<platform>/` (ELF-checked).
 */
export function stageSerialport(repoRoot: string, stage: string, arch: RecipeArch): void {
  const from = join(repoRoot, 'node_modules', '@serialport', 'bindings-cpp');
  const to = join(stage, SERIALPORT_ROOT);
  mkdirSync(to, { recursive: true });
  for (const f of ['package.json', 'LICENSE']) copyFileSync(join(from, f), join(to, f));
  const platform = SERIALPORT_PLATFORM[arch];
  const dir = join(from, 'prebuilds', platform);
  const addons = readdirSync(dir).filter((f) => f.endsWith('.node') && f.includes('glibc'));
  if (addons.length !== 1) throw new Error(`${dir}: expected one glibc prebuild; update scripts/build/serialport.ts`);
  mkdirSync(join(to, 'prebuilds', platform), { recursive: true });
  const addon = join(to, 'prebuilds', platform, addons[0]!);
  copyFileSync(join(dir, addons[0]!), addon);
  checkElf(addon, arch);
}
