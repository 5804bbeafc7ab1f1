import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * Two-AZ VPC of isolated subnets only: no NAT, no internet route. The functions reach Secrets Manager through an
 * interface endpoint and S3 through a gateway endpoint; Kinesis polling, logs and metrics are done by the Lambda
 * service outside the VPC. Flow logs go to CloudWatch Logs.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly secretsEndpoint: ec2.InterfaceVpcEndpoint;
  /** The security group of every cloud-sink function. */
  readonly functions: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: { logRetentionDays: number }) {
    super(scope, id);
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetentionDays as logs.RetentionDays });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.secretsEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      // reachable from the functions' and the rotation function's security groups only, not the whole VPC
      open: false,
    });
    this.functions = new ec2.SecurityGroup(this, 'Functions', {
      vpc: this.vpc,
      description: 'cloud-sink Lambda functions',
      allowAllOutbound: true,
    });
    this.secretsEndpoint.connections.allowDefaultPortFrom(this.functions, 'cloud-sink functions read secrets');
  }
}
