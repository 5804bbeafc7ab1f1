import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DeployConfig } from './config';
import { waive } from './nag';

/**
 * The buckets: the raw archive the consumer writes every batch to (content-addressed, ADR 0212), uploaded reference
 * files, and the access-log bucket both log into (CloudFront's standard logs too, hence ACLs for the log delivery).
 * All encrypted, TLS-only, public access blocked, versioned where they hold data; data buckets are retained when
 * the stack is deleted.
 */
export class Storage extends Construct {
  readonly logs: s3.Bucket;
  readonly archive: s3.Bucket;
  readonly reference: s3.Bucket;

  constructor(scope: Construct, id: string, props: { config: DeployConfig; key: kms.IKey }) {
    super(scope, id);
    const { archive } = props.config;
    this.logs = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging and CloudFront standard logs cannot write to SSE-KMS buckets
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(Math.max(props.config.logRetentionDays, 90)) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    waive(this.logs, [
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log bucket itself; logging it into itself would log its own log deliveries.',
      },
    ]);
    const dataBucket = (name: string, lifecycleRules: s3.LifecycleRule[]) =>
      new s3.Bucket(this, name, {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: props.key,
        bucketKeyEnabled: true,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        serverAccessLogsBucket: this.logs,
        serverAccessLogsPrefix: `s3/${name.toLowerCase()}/`,
        lifecycleRules,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.archive = dataBucket('RawArchive', [
      {
        id: 'tiering',
        transitions: [
          {
            storageClass: s3.StorageClass.INFREQUENT_ACCESS,
            transitionAfter: Duration.days(archive.infrequentAccessAfterDays),
          },
          { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(archive.glacierAfterDays) },
        ],
        ...(archive.expireAfterDays > 0 ? { expiration: Duration.days(archive.expireAfterDays) } : {}),
        // objects are content-addressed and never overwritten; a noncurrent version only exists after a deletion
        noncurrentVersionExpiration: Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ]);
    this.reference = dataBucket('ReferenceFiles', [
      {
        id: 'old-versions',
        noncurrentVersionExpiration: Duration.days(365),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ]);
  }
}
