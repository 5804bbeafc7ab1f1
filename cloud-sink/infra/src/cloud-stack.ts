import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { Alarms } from './alarms';
import { Api } from './api';
import type { DeployConfig } from './config';
import { Database } from './database';
import { Ingest } from './ingest';
import { Network } from './network';
import { People } from './people';
import { Recompute } from './recompute';
import { Storage } from './storage';

export interface CloudStackProps extends StackProps {
  config: DeployConfig;
  /** From the us-east-1 edge stack. */
  webAclArn: string;
  certificate?: acm.ICertificate;
}

/**
 * cloud-sink in one region: network, database, buckets, stream and consumer, API behind CloudFront, scheduled
 * recomputation, alarms. One customer-managed key (rotated yearly) encrypts the failed-batches queue, the data
 * buckets and the alarm topic; the stream uses the AWS managed key.
 */
export class CloudStack extends Stack {
  readonly key: kms.Key;
  readonly network: Network;
  readonly storage: Storage;
  readonly database: Database;
  readonly ingest: Ingest;
  readonly api: Api;
  readonly people: People;
  readonly recompute: Recompute;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: CloudStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'pcf-edge cloud-sink data' });
    // CloudWatch alarms publish to the encrypted topic
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.network = new Network(this, 'Network', { logRetentionDays: config.logRetentionDays });
    this.storage = new Storage(this, 'Storage', { config, key: this.key });
    this.database = new Database(this, 'Database', {
      config,
      network: this.network,
      clusterIdentifier: `${config.stackPrefix.toLowerCase()}-cloud-sink`,
    });
    this.ingest = new Ingest(this, 'Ingest', {
      config,
      key: this.key,
      network: this.network,
      database: this.database,
      archive: this.storage.archive,
      metricsNamespace: `PcfEdge/${id}`,
    });
    this.api = new Api(this, 'Api', {
      config,
      network: this.network,
      database: this.database,
      reference: this.storage.reference,
      logs: this.storage.logs,
      key: this.key,
      webAclArn: props.webAclArn,
      ...(props.certificate ? { certificate: props.certificate } : {}),
    });
    // people sign in at the dashboard's address; the API trusts the pool's tokens (ADR 0197)
    this.people = new People(this, 'People', { config, baseUrl: this.api.baseUrl });
    for (const [k, v] of Object.entries(this.people.environment)) this.api.fn.fn.addEnvironment(k, v);
    this.recompute = new Recompute(this, 'Recompute', {
      config,
      network: this.network,
      database: this.database,
      settings: this.api.settings,
    });
    this.alarms = new Alarms(this, 'Alarms', {
      config,
      key: this.key,
      ingest: this.ingest,
      api: this.api,
      database: this.database,
      recompute: this.recompute,
    });

    const out = (name: string, value: string, description: string) => new CfnOutput(this, name, { value, description });
    out('StreamName', this.ingest.stream.streamName, 'Kinesis stream the gateways export to');
    out(
      'StreamArn',
      this.ingest.stream.streamArn,
      'for the gateways’ token exchange role: kinesis:PutRecord(s), DescribeStream*',
    );
    out('ArchiveBucket', this.storage.archive.bucketName, 'raw archive of every ingested batch');
    out('ReferenceBucket', this.storage.reference.bucketName, 'uploaded reference files');
    out('AlarmTopicArn', this.alarms.topic.topicArn, 'subscribe on-call addresses here');
    out('FailedBatchesQueueUrl', this.ingest.failedBatches.queueUrl, 'batches that exhausted their retries');
    out('DatabaseSecretArn', this.database.cluster.secret!.secretArn, 'database credentials (rotated)');
    out(
      'RecomputeFunctionName',
      this.recompute.fn.fn.functionName,
      'invoke with {periodStart, periodEnd} to recompute a period',
    );
  }
}
