import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { archiveError, compress, expand, objectKey, sha256Hex, type ArchiveKind, type RawArchive } from './archive';

/**
 * The raw archive in a local folder. A new object is written to a temporary file, flushed to disk and renamed into
 * place, so a crash leaves either the whole object or none (a stray temporary file at most).
 */
export function localFolderArchive(folder: string): RawArchive {
  const root = resolve(folder);
  const path = (kind: ArchiveKind, sha: string) => join(root, objectKey(kind, sha));
  return {
    location: root,
    async put(kind, bytes) {
      const sha = sha256Hex(bytes);
      const target = path(kind, sha);
      try {
        if (await exists(target)) return sha;
        await mkdir(dirname(target), { recursive: true });
        const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
        const fh = await open(tmp, 'wx');
        try {
          await fh.writeFile(compress(bytes));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, target);
        return sha;
      } catch (err) {
        throw archiveError(root, `writing ${objectKey(kind, sha)} failed`, err);
      }
    },
    async get(kind, sha) {
      let stored: Buffer;
      try {
        stored = await readFile(path(kind, sha));
      } catch (err) {
        throw archiveError(root, `reading ${objectKey(kind, sha)} failed`, err);
      }
      return expand(root, kind, sha, stored);
    },
    async list(kind) {
      const out: string[] = [];
      const base = join(root, kind);
      if (!(await exists(base))) return out;
      try {
        for (const dir of (await readdir(base)).sort()) {
          for (const f of (await readdir(join(base, dir))).sort()) {
            const m = /^([0-9a-f]{64})\.gz$/.exec(f);
            if (m) out.push(m[1]!);
          }
        }
      } catch (err) {
        throw archiveError(root, `listing ${kind} failed`, err);
      }
      return out.sort();
    },
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
