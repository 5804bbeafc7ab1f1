import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RecipeArch } from './components';
import { checkElf } from './elf';
import { nodeRuntimeDir, type NodeRuntimePin } from './runtime';

export const NODE_RUNTIME_COMPONENT = 'com.pcfedge.NodeRuntime';

/** Base name of the runtime zip for `arch`; Greengrass unarchives it into `{artifacts:decompressedPath}/<name>/`. */
export const runtimeZipName = (arch: RecipeArch): string => `node-runtime-${arch}`;

/**
 * Writes `<artifactDir>/node-runtime-<arch>.zip` for each architecture: the runtime package's `bin/node` and
 * `LICENSE`, plus the recipes' lifecycle script (its `check-node` step runs at install).
 */
export function writeNodeRuntimeZips(
  artifactDir: string,
  stageRoot: string,
  pin: NodeRuntimePin,
  archs: readonly RecipeArch[],
  lifecycleScript: string,
): { arch: RecipeArch; zip: string }[] {
  mkdirSync(artifactDir, { recursive: true });
  return archs.map((arch) => {
    const runtime = nodeRuntimeDir(arch, pin);
    const stage = join(stageRoot, runtimeZipName(arch));
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(join(stage, 'bin'), { recursive: true });
    copyFileSync(join(runtime, 'bin', 'node'), join(stage, 'bin', 'node'));
    chmodSync(join(stage, 'bin', 'node'), 0o755);
    checkElf(join(stage, 'bin', 'node'), arch);
    copyFileSync(join(runtime, 'LICENSE'), join(stage, 'LICENSE'));
    copyFileSync(lifecycleScript, join(stage, 'lifecycle.sh'));
    const zip = join(artifactDir, `${runtimeZipName(arch)}.zip`);
    rmSync(zip, { force: true });
    execFileSync('zip', ['-qrX', zip, '.'], { cwd: stage, stdio: ['ignore', 'ignore', 'inherit'] });
    if (!existsSync(zip)) throw new Error(`zip did not write ${zip}`);
    return { arch, zip };
  });
}
