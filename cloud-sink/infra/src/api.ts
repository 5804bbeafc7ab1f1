import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../../src/aws/api-settings';
import type { DeployConfig } from './config';
import type { Database } from './database';
import { CloudSinkFunction } from './lambda';
import type { Network } from './network';
import { LAMBDA_IN_VPC_WAIVERS, objectsOf, waive } from './nag';

/**
 * The PACT API, operational API and dashboard: one Lambda behind an API Gateway HTTP API, behind CloudFront with the
 * WAF web ACL (ADR 0210). CloudFront sends a secret origin header the function checks, so the execute-api endpoint
 * cannot be used to go around the WAF. The settings secret holds the API config (clients) and that header value.
 */
export class Api extends Construct {
  readonly fn: CloudSinkFunction;
  readonly httpApi: apigw.HttpApi;
  readonly distribution: cloudfront.Distribution;
  readonly settings: secretsmanager.Secret;
  /** `https://<domain>`, or the distribution's `https://<id>.cloudfront.net` (a token) without a domain. */
  readonly baseUrl: string;

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: DeployConfig;
      network: Network;
      database: Database;
      reference: s3.IBucket;
      logs: s3.IBucket;
      key: kms.IKey;
      webAclArn: string;
      certificate?: acm.ICertificate;
    },
  ) {
    super(scope, id);
    const { api: cfg, logRetentionDays } = props.config;
    this.settings = new secretsmanager.Secret(this, 'Settings', {
      description:
        'pcf-edge API settings: {"api": <API config with clients>, "originVerify": <CloudFront origin header>}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ api: { clients: [] } }),
        generateStringKey: 'originVerify',
        excludePunctuation: true,
        passwordLength: 48,
      },
    });
    waive(this.settings, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Not a credential a rotation Lambda could rotate: it holds the API client list (scrypt hashes, maintained by the account owner, docs/deploy-cloud.md) and the CloudFront origin header, which changes with a redeploy.',
      },
    ]);
    this.fn = new CloudSinkFunction(this, 'Function', {
      entry: 'api',
      description: 'pcf-edge cloud-sink: PACT API, operational API and dashboard',
      memoryMb: cfg.memoryMb,
      timeout: Duration.seconds(29),
      environment: {
        ...props.database.environment,
        PCF_EDGE_API_SETTINGS_SECRET_ARN: this.settings.secretArn,
        PCF_EDGE_REFERENCE_BUCKET: props.reference.bucketName,
        ...(cfg.domain ? { PCF_EDGE_PUBLIC_BASE_URL: `https://${cfg.domain.name}` } : {}),
      },
      vpc: props.network.vpc,
      securityGroup: props.network.functions,
      logRetentionDays,
      reservedConcurrency: cfg.reservedConcurrency,
    });
    props.database.cluster.secret!.grantRead(this.fn.fn);
    this.settings.grantRead(this.fn.fn);
    // reference files: read and write objects, with data keys from the bucket's KMS key
    this.fn.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.reference.arnForObjects('*')],
      }),
    );
    this.fn.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.key.keyArn] }),
    );
    this.fn.fn.node.addDependency(props.database.schema);
    waive(this.fn, [
      ...LAMBDA_IN_VPC_WAIVERS,
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Reference files are kept under keys chosen at upload time: s3:GetObject and s3:PutObject on <reference bucket>/*.',
        appliesTo: [objectsOf(props.reference)],
      },
    ]);

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'pcf-edge cloud-sink (reached through CloudFront only)',
      defaultIntegration: new HttpLambdaIntegration('Lambda', this.fn.fn, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logRetentionDays as logs.RetentionDays });
    this.httpApi.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
      throttle: { rateLimit: 200, burstLimit: 400 },
    });
    waive(this.httpApi, [
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'The application authorizes every route itself (its own signed tokens and the Cognito pool’s, scopes per route, ADRs 0190, 0191, 0197) and the function refuses requests without the CloudFront origin header; the dashboard files and /auth/token are public by design.',
      },
    ]);

    const origin = new origins.HttpOrigin(
      `${this.httpApi.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`,
      {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        customHeaders: { [ORIGIN_VERIFY_HEADER]: this.settings.secretValueFromJson('originVerify').unsafeUnwrap() },
      },
    );
    const d = cfg.domain;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'pcf-edge cloud-sink API and dashboard',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // nothing is cached: answers depend on the bearer token; with caching off the Authorization header is forwarded
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      webAclId: props.webAclArn,
      enableLogging: true,
      logBucket: props.logs,
      logFilePrefix: 'cloudfront/',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      ...(d && props.certificate
        ? {
            domainNames: [d.name],
            certificate: props.certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    waive(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'PACT partners and plants are worldwide; access is by client credentials, not by country.',
      },
      ...(d
        ? []
        : [
            {
              id: 'AwsSolutions-CFR4',
              reason:
                'Without a configured domain the distribution serves *.cloudfront.net with CloudFront’s default certificate, whose policy CloudFront fixes; with a domain, TLSv1.2_2021 applies.',
            },
          ]),
    ]);
    if (d?.hostedZoneId && d.hostedZoneName) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: d.hostedZoneId,
        zoneName: d.hostedZoneName,
      });
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      new route53.ARecord(this, 'Alias', { zone, recordName: d.name, target });
      new route53.AaaaRecord(this, 'AliasV6', { zone, recordName: d.name, target });
    }
    this.baseUrl = d ? `https://${d.name}` : `https://${this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'Url', {
      value: this.baseUrl,
      description: 'PACT API and dashboard',
    });
    new CfnOutput(this, 'FunctionName', {
      value: this.fn.fn.functionName,
      description: 'API function: update its configuration to make new instances read the settings secret',
    });
    new CfnOutput(this, 'SettingsSecretArn', {
      value: this.settings.secretArn,
      description: 'API settings secret (clients): see docs/deploy-cloud.md',
    });
  }
}
