import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import type { RecipeArch } from './components';
import { checkElf } from './elf';

/** Where the bundled CRT looks for its addon, relative to the bundle (main.js) folder. */
export const CRT_ROOT = join('node_modules', 'aws-crt');
/**
 * The CRT addon shipped for each recipe architecture: the Linux glibc Node-API build that the aws-crt package on the
 * npm registry carries (its C libraries are not in the package, so it cannot be rebuilt here; ADR 0200).
 */
export const CRT_PLATFORM: Record<RecipeArch, string> = { amd64: 'linux-x64-glibc', aarch64: 'linux-arm64-glibc' };

const ROOT_EXPRESSION = "path.resolve(__dirname, '..', '..')";

/**
 * aws-crt (under aws-iot-device-sdk-v2) finds its native addon at `<its package>/dist/bin/<platform>/` from
 * `__dirname`, which in a bundle is the bundle's folder. This plugin points it at `<bundle>/node_modules/aws-crt`
 * instead, where `stageAwsCrt` copies the addons. Fails the build if the SDK's loader changed shape.
 */
export const awsCrtPlugin: Plugin = {
  name: 'aws-crt-binary-path',
  setup(build) {
    build.onLoad({ filter: /[\\/]aws-crt[\\/]dist[\\/]native[\\/]binding\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(ROOT_EXPRESSION))
        throw new Error(`${args.path}: "${ROOT_EXPRESSION}" not found; update scripts/build/aws-crt.ts`);
      return {
        contents: text.replace(ROOT_EXPRESSION, `path.resolve(__dirname, ${JSON.stringify(CRT_ROOT)})`),
        loader: 'js',
      };
    });
  },
};

/** Copies the CRT addon for `arch` into `<stage>/node_modules/aws-crt/dist/bin/<platform>/`. */
export function stageAwsCrt(repoRoot: string, stage: string, arch: RecipeArch): void {
  const platform = CRT_PLATFORM[arch];
  const to = join(stage, CRT_ROOT, 'dist', 'bin', platform);
  mkdirSync(to, { recursive: true });
  const addon = join(to, 'aws-crt-nodejs.node');
  copyFileSync(join(repoRoot, 'node_modules', 'aws-crt', 'dist', 'bin', platform, 'aws-crt-nodejs.node'), addon);
  checkElf(addon, arch);
}
