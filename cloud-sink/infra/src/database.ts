import { createHash } from 'node:crypto';
import { type CfnElement, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { MIGRATIONS, POSTGRES } from '../../src/store/migrations';
import type { DeployConfig } from './config';
import { CloudSinkFunction } from './lambda';
import type { Network } from './network';
import { LAMBDA_IN_VPC_WAIVERS, waive } from './nag';

export const DATABASE_NAME = 'pcfedge';

/** Digest of the migration list: the schema custom resource runs again whenever it changes. */
export function migrationsDigest(): string {
  const h = createHash('sha256');
  for (const m of MIGRATIONS) h.update(JSON.stringify([m.version, m.name, m.statements(POSTGRES)]));
  return h.digest('hex');
}

/**
 * Aurora PostgreSQL Serverless v2 in the isolated subnets (encrypted, not public, IAM auth enabled, logs exported,
 * credentials generated into Secrets Manager and rotated), reached through an RDS Proxy that requires TLS
 * (ADR 0211), and the schema custom resource that applies migrations before any function runs against the database.
 */
export class Database extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  readonly schema: CustomResource;
  /** Environment every function needs to open the database. */
  readonly environment: Record<string, string>;

  constructor(
    scope: Construct,
    id: string,
    props: { config: DeployConfig; network: Network; clusterIdentifier: string },
  ) {
    super(scope, id);
    const { database: cfg, logRetentionDays } = props.config;
    const { vpc } = props.network;
    const isolated = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${props.clusterIdentifier}/postgresql`,
      retention: logRetentionDays as logs.RetentionDays,
    });
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      clusterIdentifier: props.clusterIdentifier,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_13 }),
      credentials: rds.Credentials.fromGeneratedSecret('pcfedge_admin'),
      defaultDatabaseName: DATABASE_NAME,
      writer: rds.ClusterInstance.serverlessV2('writer', { publiclyAccessible: false }),
      readers: [rds.ClusterInstance.serverlessV2('reader', { publiclyAccessible: false, scaleWithWriter: true })],
      serverlessV2MinCapacity: cfg.minAcu,
      serverlessV2MaxCapacity: cfg.maxAcu,
      vpc,
      vpcSubnets: isolated,
      storageEncrypted: true,
      iamAuthentication: true,
      deletionProtection: cfg.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      backup: { retention: Duration.days(cfg.backupRetentionDays) },
      cloudwatchLogsExports: ['postgresql'],
    });
    this.cluster.node.addDependency(this.node.findChild('PostgresLogs'));
    this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(cfg.rotationDays),
      vpcSubnets: isolated,
      endpoint: props.network.secretsEndpoint,
    });
    this.proxy = this.cluster.addProxy('Proxy', {
      secrets: [this.cluster.secret!],
      vpc,
      vpcSubnets: isolated,
      requireTLS: true,
      iamAuth: false,
    });
    this.proxy.connections.allowFrom(props.network.functions, ec2.Port.tcp(5432), 'cloud-sink functions');
    waive(this.cluster, [
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'The default port: the cluster is in isolated subnets and only the proxy security group may connect; a different port number adds no protection.',
      },
    ]);
    waive(this.node.findChild('Cluster'), [
      {
        id: 'AwsSolutions-SMG4',
        reason: 'Rotated by addRotationSingleUser (hosted rotation application); cdk-nag does not see that rotation.',
      },
    ]);

    this.environment = {
      PCF_EDGE_DB_SECRET_ARN: this.cluster.secret!.secretArn,
      PCF_EDGE_DB_HOST: this.proxy.endpoint,
      PCF_EDGE_DB_SSLMODE: 'verify-full',
    };

    const migrate = new CloudSinkFunction(this, 'Migrate', {
      entry: 'migrate',
      description: 'pcf-edge cloud-sink: applies schema migrations (custom resource)',
      memoryMb: 512,
      timeout: Duration.minutes(10),
      environment: this.environment,
      vpc,
      securityGroup: props.network.functions,
      logRetentionDays,
    });
    this.cluster.secret!.grantRead(migrate.fn);
    waive(migrate, LAMBDA_IN_VPC_WAIVERS);
    const providerLogs = new logs.LogGroup(this, 'SchemaProviderLogs', {
      retention: logRetentionDays as logs.RetentionDays,
    });
    const provider = new cr.Provider(this, 'SchemaProvider', { onEventHandler: migrate.fn, logGroup: providerLogs });
    waive(provider, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'The custom resource provider framework (aws-cdk-lib) writes logs through AWSLambdaBasicExecutionRole.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'The provider framework may invoke every version of its onEvent function (<arn>:*), as aws-cdk-lib writes it.',
        appliesTo: [
          `Resource::<${Stack.of(this).resolve(Stack.of(this).getLogicalId(migrate.fn.node.defaultChild as CfnElement))}.Arn>:*`,
        ],
      },
      {
        id: 'AwsSolutions-L1',
        reason: 'The provider framework function and its runtime are aws-cdk-lib’s, updated with it.',
      },
    ]);
    const code = migrate.fn.node.tryFindChild('Code') as s3assets.Asset | undefined;
    this.schema = new CustomResource(this, 'Schema', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::CloudSinkSchema',
      properties: { MigrationsDigest: migrationsDigest(), BundleHash: code?.assetHash ?? 'unbundled' },
    });
    // the proxy's target must be registered before the migration connects through it
    this.schema.node.addDependency(this.proxy, this.cluster);
  }
}
