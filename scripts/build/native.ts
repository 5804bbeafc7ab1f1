import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHITECTURES, type RecipeArch } from './components';

/** ELF e_machine of a Linux shared object for each recipe architecture. */
const ELF_MACHINE: Record<RecipeArch, number> = { amd64: 62, aarch64: 183 };

/** Throws unless `file` is an ELF shared object for `arch` (a mislabelled addon would crash on the device). */
export function checkElf(file: string, arch: RecipeArch): void {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
  const machine = header.readUInt16LE(18);
  if (machine !== ELF_MACHINE[arch])
    throw new Error(`${file} is built for ELF machine ${machine}, not ${arch} (${ELF_MACHINE[arch]})`);
}

function copyTree(from: string, to: string, keep: (name: string) => boolean): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) copyTree(src, join(to, name), keep);
    else if (keep(name)) copyFileSync(src, join(to, name));
  }
}

/**
 * Copies better-sqlite3 (JavaScript, no sources) and its runtime dependencies `bindings` and `file-uri-to-path`
 * into `<stage>/node_modules`, with one addon per architecture at `lib/binding/node-v<abi>-linux-<arch>/`, the
 * path `bindings` tries for the running Node ABI and architecture (there is no build/Release in the zip).
 */
export function stageBetterSqlite3(
  repoRoot: string,
  stage: string,
  natives: ReadonlyMap<RecipeArch, string>,
  abi: string,
): void {
  const modules = join(repoRoot, 'node_modules');
  const target = join(stage, 'node_modules');
  const isRuntimeFile = (name: string): boolean => /\.(js|json)$/.test(name) || /^LICENSE/.test(name);
  copyTree(join(modules, 'better-sqlite3', 'lib'), join(target, 'better-sqlite3', 'lib'), isRuntimeFile);
  for (const f of ['package.json', 'LICENSE'])
    copyFileSync(join(modules, 'better-sqlite3', f), join(target, 'better-sqlite3', f));
  for (const dep of ['bindings', 'file-uri-to-path']) {
    mkdirSync(join(target, dep), { recursive: true });
    for (const name of readdirSync(join(modules, dep))) {
      if (isRuntimeFile(name) && statSync(join(modules, dep, name)).isFile())
        copyFileSync(join(modules, dep, name), join(target, dep, name));
    }
  }
  for (const [arch, file] of natives) {
    checkElf(file, arch);
    const dir = join(target, 'better-sqlite3', 'lib', 'binding', `node-v${abi}-linux-${ARCHITECTURES[arch]}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(file, join(dir, 'better_sqlite3.node'));
  }
}
