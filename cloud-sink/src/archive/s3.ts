import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { PcfError } from '@pcf-edge/core';
import { archiveError, compress, expand, keySha256, objectKey, sha256Hex, type RawArchive } from './archive';

export interface S3ArchiveOptions {
  bucket: string;
  /** Key prefix inside the bucket ('' or ending in '/'). */
  prefix?: string;
  /** An S3 client (tests: one pointed at a local S3-compatible server); default: from the environment. */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
}

/**
 * The raw archive in S3 (production: the stack's bucket, SSE-KMS, ADR 0212). `put` checks whether the object exists
 * first (HEAD) and otherwise writes it with its SHA-256 as the checksum S3 verifies; the same bytes always make the
 * same object, so a retried put is harmless.
 */
export function s3Archive(options: S3ArchiveOptions): RawArchive {
  const prefix = options.prefix ?? '';
  if (prefix !== '' && !prefix.endsWith('/'))
    throw new PcfError('ERR_USAGE', `S3 archive prefix '${prefix}' must end with '/'`);
  const client = options.client ?? new S3Client(options.clientConfig ?? {});
  const location = `s3://${options.bucket}/${prefix}`;
  const key = (kind: Parameters<RawArchive['put']>[0], sha: string) => `${prefix}${objectKey(kind, sha)}`;
  return {
    location,
    async put(kind, bytes) {
      const sha = sha256Hex(bytes);
      try {
        if (await head(client, options.bucket, key(kind, sha))) return sha;
        await client.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: key(kind, sha),
            Body: compress(bytes),
            ContentType: 'application/gzip',
            Metadata: { sha256: sha },
          }),
        );
        return sha;
      } catch (err) {
        throw archiveError(location, `writing ${objectKey(kind, sha)} failed`, err);
      }
    },
    async get(kind, sha) {
      let stored: Buffer;
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key(kind, sha) }));
        stored = Buffer.from(await res.Body!.transformToByteArray());
      } catch (err) {
        throw archiveError(location, `reading ${objectKey(kind, sha)} failed`, err);
      }
      return expand(location, kind, sha, stored);
    },
    async list(kind) {
      const out: string[] = [];
      let token: string | undefined;
      try {
        do {
          const res = await client.send(
            new ListObjectsV2Command({
              Bucket: options.bucket,
              Prefix: `${prefix}${kind}/`,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
          for (const o of res.Contents ?? []) {
            const sha = o.Key ? keySha256(o.Key.slice(prefix.length)) : undefined;
            if (sha) out.push(sha);
          }
          token = res.IsTruncated ? res.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw archiveError(location, `listing ${kind} failed`, err);
      }
      return out.sort();
    },
  };
}

async function head(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (err as Error).name === 'NotFound') return false;
    throw err;
  }
}

/** Parses `s3://bucket/prefix/` (prefix optional); undefined when `spec` is not an s3:// URL. */
export function parseS3Spec(spec: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(spec);
  if (!m) {
    if (spec.startsWith('s3://'))
      throw new PcfError('ERR_USAGE', `archive '${spec}' is not s3://<bucket>[/<prefix>/] with a valid bucket name`);
    return undefined;
  }
  const prefix = m[2] ?? '';
  return { bucket: m[1]!, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}
