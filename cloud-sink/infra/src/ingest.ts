import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeployConfig } from './config';
import type { Database } from './database';
import { CloudSinkFunction } from './lambda';
import type { Network } from './network';
import { LAMBDA_IN_VPC_WAIVERS, objectsOf, waive } from './nag';

/**
 * The stream the gateways write (encrypted with the AWS managed KMS key) and its consumer: the consumer Lambda behind an event source
 * mapping that reports per-record failures, halves a failing batch, retries a bounded number of times (or until a
 * record is too old) and then sends the batch's description to an encrypted SQS queue (ADR 0213).
 */
export class Ingest extends Construct {
  readonly stream: kinesis.Stream;
  readonly consumer: CloudSinkFunction;
  readonly failedBatches: sqs.Queue;
  readonly metricsNamespace: string;

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: DeployConfig;
      key: kms.IKey;
      network: Network;
      database: Database;
      archive: s3.IBucket;
      metricsNamespace: string;
    },
  ) {
    super(scope, id);
    const { stream: s, consumer: c, logRetentionDays } = props.config;
    this.metricsNamespace = props.metricsNamespace;
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamName: s.name,
      shardCount: s.shardCount,
      streamMode: kinesis.StreamMode.PROVISIONED,
      retentionPeriod: Duration.hours(s.retentionHours),
      // the AWS managed key (aws/kinesis): producers need no KMS grant and pay no KMS requests (ADR 0213)
      encryption: kinesis.StreamEncryption.MANAGED,
    });
    this.failedBatches = new sqs.Queue(this, 'FailedBatches', {
      // SSE-SQS: the mapping sends without KMS grants; the messages name stream positions, not data
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    waive(this.failedBatches, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the on-failure destination of the event source mapping, itself the last stop: it holds where a failed batch was in the stream (shard, sequence numbers), to replay it after the fault is fixed.',
      },
    ]);
    this.consumer = new CloudSinkFunction(this, 'Consumer', {
      entry: 'consumer',
      description: 'pcf-edge cloud-sink: Kinesis consumer (rollups into PostgreSQL)',
      memoryMb: c.memoryMb,
      timeout: Duration.minutes(2),
      environment: {
        ...props.database.environment,
        PCF_EDGE_METRICS_NAMESPACE: props.metricsNamespace,
        PCF_EDGE_ARCHIVE_BUCKET: props.archive.bucketName,
      },
      vpc: props.network.vpc,
      securityGroup: props.network.functions,
      logRetentionDays,
      reservedConcurrency: c.reservedConcurrency,
    });
    props.database.cluster.secret!.grantRead(this.consumer.fn);
    // archive objects only: PutObject on the bucket's keys and a data key from the bucket's KMS key
    this.consumer.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.archive.arnForObjects('*')] }),
    );
    this.consumer.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [props.key.keyArn] }),
    );
    waive(this.consumer, [
      ...LAMBDA_IN_VPC_WAIVERS,
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Archive objects are named by their content hash, not known in advance: s3:PutObject on <archive bucket>/*.',
        appliesTo: [objectsOf(props.archive)],
      },
    ]);
    this.consumer.fn.addEventSource(
      new KinesisEventSource(this.stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: c.batchSize,
        maxBatchingWindow: Duration.seconds(c.maxBatchingWindowSec),
        parallelizationFactor: c.parallelizationFactor,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: c.retryAttempts,
        maxRecordAge: Duration.seconds(c.maxRecordAgeSec),
        onFailure: new SqsDlq(this.failedBatches),
      }),
    );
    // the schema exists before the first batch is read
    this.consumer.fn.node.addDependency(props.database.schema);
  }
}
