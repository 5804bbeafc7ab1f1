import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PcfError } from '@pcf-edge/core';

/**
 * The raw archive (ADR 0233, 0212): every ingested record's bytes and every imported reference file, verbatim,
 * content-addressed (an object's key is the SHA-256 of its uncompressed bytes) and gzip-compressed. Writing the same
 * bytes twice is the same object. Implementations: a local folder (default) and S3.
 */
export type ArchiveKind = 'batches' | 'reference';

export interface RawArchive {
  /** Where it is (a folder, or s3://bucket/prefix), for messages. */
  readonly location: string;
  /** Stores `bytes` (if not there yet); returns their SHA-256 (hex). Durable when it resolves. */
  put(kind: ArchiveKind, bytes: Uint8Array): Promise<string>;
  /** The bytes stored under `sha256`; ERR_ARCHIVE when missing or when they do not hash to it. */
  get(kind: ArchiveKind, sha256: string): Promise<Buffer>;
  /** Every SHA-256 stored under `kind`, in ascending order. */
  list(kind: ArchiveKind): Promise<string[]>;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The object key of `sha256` under `kind`: `<kind>/<first two hex digits>/<sha256>.gz` (folders stay small). */
export const objectKey = (kind: ArchiveKind, sha256: string): string => `${kind}/${sha256.slice(0, 2)}/${sha256}.gz`;
const KEY = /^(batches|reference)\/[0-9a-f]{2}\/([0-9a-f]{64})\.gz$/;
/** The SHA-256 an object key names, or undefined for a key that is not an archive object. */
export const keySha256 = (key: string): string | undefined => KEY.exec(key)?.[2];

export const compress = (bytes: Uint8Array): Buffer => gzipSync(bytes, { level: 6 });

/** Decompresses an archived object and checks it against the SHA-256 it is stored under. */
export function expand(location: string, kind: ArchiveKind, sha256: string, stored: Buffer): Buffer {
  let bytes: Buffer;
  try {
    bytes = gunzipSync(stored);
  } catch (err) {
    throw new PcfError(
      'ERR_ARCHIVE',
      `${location}: ${objectKey(kind, sha256)} is not gzip data (${(err as Error).message})`,
      {
        key: objectKey(kind, sha256),
      },
    );
  }
  const actual = sha256Hex(bytes);
  if (actual !== sha256)
    throw new PcfError(
      'ERR_ARCHIVE',
      `${location}: ${objectKey(kind, sha256)} holds bytes whose SHA-256 is ${actual} (altered or corrupt)`,
      { key: objectKey(kind, sha256), actual },
    );
  return bytes;
}

export const archiveError = (location: string, what: string, err: unknown): PcfError =>
  err instanceof PcfError
    ? err
    : new PcfError('ERR_ARCHIVE', `${location}: ${what}: ${(err as Error).message}`, {}, { cause: err });

/** Archives every record's bytes, at most `concurrency` writes at a time; the first failure rejects. */
export async function archiveAll(archive: RawArchive, records: Uint8Array[], concurrency = 16): Promise<void> {
  for (let i = 0; i < records.length; i += concurrency)
    await Promise.all(records.slice(i, i + concurrency).map((r) => archive.put('batches', r)));
}
