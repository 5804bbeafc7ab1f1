import { closeSync, openSync, readSync } from 'node:fs';
import type { RecipeArch } from './components';

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
