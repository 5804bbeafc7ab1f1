import { dirname, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { StoreLocation } from '../store/open';
import type { RawArchive } from './archive';
import { localFolderArchive } from './local';
import { parseS3Spec, s3Archive } from './s3';

/** Environment variable naming the archive (a folder or s3://bucket/prefix/) for every command. */
export const ARCHIVE_ENV = 'PCF_EDGE_ARCHIVE';
/** The bucket the CDK stack gives the consumer (ADR 0212); used when PCF_EDGE_ARCHIVE is unset. */
export const ARCHIVE_BUCKET_ENV = 'PCF_EDGE_ARCHIVE_BUCKET';

export interface ArchiveArgs {
  /** `--archive <folder|s3://bucket/prefix/>` */
  archive?: string;
  /** `--s3-endpoint <url>`: an S3-compatible server (path-style addressing). */
  s3Endpoint?: string;
}

/**
 * The archive of a command: `--archive`, else PCF_EDGE_ARCHIVE, else PCF_EDGE_ARCHIVE_BUCKET (S3), else a local
 * folder — `archive/` beside a SQLite database, `.pcf-edge/archive` for PostgreSQL.
 */
export function openArchive(args: ArchiveArgs, store: StoreLocation, env: NodeJS.ProcessEnv = process.env): RawArchive {
  const bucket = env[ARCHIVE_BUCKET_ENV];
  const spec =
    args.archive ??
    env[ARCHIVE_ENV] ??
    (bucket ? `s3://${bucket}/` : store.kind === 'sqlite' ? join(dirname(store.file), 'archive') : '.pcf-edge/archive');
  return archiveAt(spec, args.s3Endpoint);
}

/** The archive at `spec`: s3://bucket/prefix/ (through `s3Endpoint` when given) or a local folder. */
export function archiveAt(spec: string, s3Endpoint?: string): RawArchive {
  const s3 = parseS3Spec(spec);
  if (!s3) return localFolderArchive(spec);
  const client = s3Endpoint
    ? new S3Client({
        endpoint: s3Endpoint,
        forcePathStyle: true,
        region: process.env.AWS_REGION ?? 'us-east-1',
      })
    : new S3Client({});
  return s3Archive({ ...s3, client });
}
