/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized templates are untyped JSON, read here field by field */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { deployConfig } from '../src/config';
import { synthApp, TEST_CONFIG } from './synth';

/** Assertions on the synthesized templates (no bundling; the bundle test runs the real bundles). */
describe('PcfEdgeCloud stack', () => {
  const { app, cloud, edge } = synthApp();
  // synthesis runs the cdk-nag AwsSolutions checks: any finding without a written waiver throws here
  const assembly = app.synth();
  const t = Template.fromStack(cloud);
  const e = Template.fromStack(edge);

  it('passes the cdk-nag AwsSolutions checks, every waiver with a written reason', () => {
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['PcfEdgeCloud', 'PcfEdgeEdge']);
    const waivers: { id: string; reason: string }[] = [];
    for (const c of app.node.findAll()) {
      for (const m of c.node.metadata)
        if (m.type === 'aws:cdk:acknowledged-rules')
          for (const [id, reason] of Object.entries(m.data as Record<string, string>)) waivers.push({ id, reason });
    }
    const ours = waivers.filter((w) => w.id.startsWith('AwsSolutions::'));
    expect(ours.length).toBeGreaterThan(5);
    expect(waivers.map((w) => w.id)).toEqual(
      expect.arrayContaining(['AwsSolutions::AwsSolutions-APIG4', 'AwsSolutions::AwsSolutions-CFR1']),
    );
    for (const w of ours)
      expect({ id: w.id, reasonLength: w.reason.length > 40 }).toEqual({ id: w.id, reasonLength: true });
  });

  it('names a region and no account: synthesis needs no credentials and makes no lookup', () => {
    expect(cloud.region).toBe('eu-central-1');
    expect(edge.region).toBe('us-east-1');
    expect(assembly.manifest.missing ?? []).toEqual([]);
    expect(cloud.resolve(cloud.account)).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('encrypts every store at rest', () => {
    t.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    t.allResourcesProperties('AWS::RDS::DBCluster', { StorageEncrypted: true });
    t.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    t.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const buckets = t.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets).length).toBe(3);
    for (const b of Object.values(buckets)) {
      const p = b.Properties as Record<string, any>;
      const sse = p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault;
      expect(['aws:kms', 'AES256']).toContain(sse.SSEAlgorithm);
      expect(p.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    // the two data buckets use the stack key and log to the access-log bucket
    const data = Object.values(buckets).filter((b) => (b.Properties as any).LoggingConfiguration);
    expect(data.length).toBe(2);
    for (const b of data)
      expect(
        (b.Properties as any).BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
          .SSEAlgorithm,
      ).toBe('aws:kms');
    // TLS only, on every bucket
    const policies = Object.values(t.findResources('AWS::S3::BucketPolicy'));
    expect(policies.length).toBe(3);
    for (const p of policies) expect(JSON.stringify(p)).toContain('"aws:SecureTransport":"false"');
    t.allResourcesProperties('AWS::SecretsManager::Secret', Match.anyValue());
  });

  it('keeps the database private: isolated subnets, no public instance, reached through a TLS-only proxy', () => {
    t.allResourcesProperties('AWS::RDS::DBInstance', { PubliclyAccessible: false });
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const s of Object.values(t.findResources('AWS::EC2::Subnet')))
      expect((s.Properties as any).MapPublicIpOnLaunch).toBe(false);
    t.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL' });
    t.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
    });
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    // no security group admits the internet
    for (const g of Object.values(t.findResources('AWS::EC2::SecurityGroup')))
      expect(JSON.stringify((g.Properties as any).SecurityGroupIngress ?? [])).not.toContain('0.0.0.0/0');
    // every separate ingress rule admits another security group, never an address range
    for (const r of Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))) {
      expect((r.Properties as any).SourceSecurityGroupId).toBeDefined();
      expect((r.Properties as any).CidrIp).toBeUndefined();
    }
  });

  it('maps the stream to the consumer with per-record failures, bisection, bounded retries and a failure queue', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 86_400,
      ParallelizationFactor: 2,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    t.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 4, Name: 'pcf-edge-rollups' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Kinesis consumer'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: 8,
    });
  });

  it('runs every function on Node.js 24, ARM64, with its own log group', () => {
    const fns = t.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^pcf-edge cloud-sink') },
    });
    expect(Object.keys(fns).length).toBe(4);
    for (const f of Object.values(fns)) {
      expect((f.Properties as any).Runtime).toBe('nodejs24.x');
      expect((f.Properties as any).Architectures).toEqual(['arm64']);
      expect((f.Properties as any).LoggingConfig.LogGroup).toBeDefined();
    }
    for (const g of Object.values(t.findResources('AWS::Logs::LogGroup')))
      expect((g.Properties as any).RetentionInDays).toBe(365);
  });

  it('puts the WAF web ACL (managed rules and a rate limit) in us-east-1 on the distribution', () => {
    e.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: { ManagedRuleGroupStatement: Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet' }) },
        }),
        Match.objectLike({
          Statement: { ManagedRuleGroupStatement: Match.objectLike({ Name: 'AWSManagedRulesKnownBadInputsRuleSet' }) },
        }),
        Match.objectLike({
          Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } },
          Action: { Block: {} },
        }),
      ]),
    });
    const dist = Object.values(t.findResources('AWS::CloudFront::Distribution'))[0]!;
    const cfg = (dist.Properties as any).DistributionConfig;
    expect(JSON.stringify(cfg.WebACLId)).toContain('Fn::GetStackOutput');
    expect(cfg.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(cfg.Origins[0].CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    expect(cfg.Origins[0].OriginCustomHeaders[0].HeaderName).toBe('x-pcf-edge-origin-verify');
    expect(JSON.stringify(cfg.Origins[0].OriginCustomHeaders[0].HeaderValue)).toContain('resolve:secretsmanager');
    expect(cfg.Logging).toBeDefined();
  });

  it('schedules the monthly recomputation without retries', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 2 * ? *)',
      Targets: [
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 }, Input: Match.stringLikeRegexp('previousMonth') }),
      ],
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
  });

  it('applies migrations through a custom resource the functions wait for', () => {
    const schema = t.findResources('Custom::CloudSinkSchema');
    const [id, res] = Object.entries(schema)[0]!;
    expect((res.Properties as any).MigrationsDigest).toMatch(/^[0-9a-f]{64}$/);
    const fns = t.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('consumer|PACT API|recomputation') },
    });
    expect(Object.keys(fns).length).toBe(3);
    for (const f of Object.values(fns)) expect(f.DependsOn).toEqual(expect.arrayContaining([id]));
  });

  it('alarms on iterator age, failed and dead-lettered records, the failure queue, API 5xx and Aurora capacity', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties as any);
    const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name);
    expect(byMetric('IteratorAge')[0]).toMatchObject({ Threshold: 300_000, Statistic: 'Maximum' });
    expect(byMetric('FailedRecords')[0]).toMatchObject({ Namespace: 'PcfEdge/PcfEdgeCloud', Threshold: 1 });
    expect(byMetric('DeadLetteredRecords')[0]).toMatchObject({ Threshold: 1 });
    expect(byMetric('ApproximateNumberOfMessagesVisible')[0]).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 1 });
    expect(byMetric('5xx')[0]).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 5 });
    expect(byMetric('ACUUtilization')[0]).toMatchObject({ Namespace: 'AWS/RDS', Threshold: 90 });
    expect(byMetric('Errors').length).toBe(2);
    for (const a of alarms) expect(a.AlarmActions).toHaveLength(1);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('signs people in with Cognito: groups are the operator scopes, the dashboard a public PKCE client', () => {
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
      DeletionProtection: 'ACTIVE',
    });
    const [poolId] = Object.keys(t.findResources('AWS::Cognito::UserPool'));
    const groups = Object.values(t.findResources('AWS::Cognito::UserPoolGroup')).map(
      (g) => (g.Properties as any).GroupName,
    );
    expect(groups.sort()).toEqual(['admin', 'ops:read', 'ops:write']);
    const [clientId, client] = Object.entries(t.findResources('AWS::Cognito::UserPoolClient'))[0]!;
    const c = client.Properties as any;
    expect(c).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['COGNITO'],
      AccessTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes' },
    });
    // the callback is the distribution's own name: a reference from the client to the distribution, none back
    const [distId] = Object.keys(t.findResources('AWS::CloudFront::Distribution'));
    const callback = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distId, 'DomainName'] }, '/']] };
    expect(c.CallbackURLs).toEqual([callback]);
    expect(c.LogoutURLs).toEqual([callback]);
    t.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: Match.anyValue() });
    // the API function trusts the pool as OpenID Connect issuer, the client as audience, groups as scopes
    const api = Object.values(
      t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('PACT API') } }),
    )[0]!;
    const env = (api.Properties as any).Environment.Variables;
    expect(env.PCF_EDGE_OIDC_AUDIENCE).toEqual({ Ref: clientId });
    expect(cloud.resolve(env.PCF_EDGE_OIDC_ISSUER)).toEqual({
      'Fn::Join': ['', ['https://cognito-idp.eu-central-1.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: poolId }]],
    });
    expect(env.PCF_EDGE_OIDC_GROUPS_CLAIM).toBe('cognito:groups');
    expect(JSON.stringify(dist(t))).not.toContain(clientId);
    const outputs = Object.keys(t.findOutputs('*'));
    for (const o of ['PeopleSignInUrl', 'PeopleUserPoolId', 'PeopleHostedSignInBase'])
      expect(outputs.some((n) => n.startsWith(o))).toBe(true);
  });

  it('outputs the stream name and ARN for the gateways’ token exchange role', () => {
    t.hasOutput('StreamName', {});
    t.hasOutput('StreamArn', {});
  });
});

const dist = (t: Template) => Object.values(t.findResources('AWS::CloudFront::Distribution'))[0]!;

describe('deploy config', () => {
  it('lists every problem at once', () => {
    expect(() =>
      deployConfig({
        ...TEST_CONFIG,
        consumer: { parallelizationFactor: 4, reservedConcurrency: 3 },
        database: { minAcu: 16, maxAcu: 4 },
        api: { domain: { name: 'pcf.example.com' } },
        logRetentionDays: 42,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        details: expect.objectContaining({
          errors: [expect.stringContaining('logRetentionDays')],
        }),
      }),
    );
    let err: { details?: { errors?: string[] } } = {};
    try {
      deployConfig({
        ...TEST_CONFIG,
        consumer: { parallelizationFactor: 4, reservedConcurrency: 3 },
        database: { minAcu: 16, maxAcu: 4 },
        api: { domain: { name: 'pcf.example.com' } },
      });
    } catch (x) {
      err = x as typeof err;
    }
    expect(err.details?.errors).toEqual([
      expect.stringContaining('minAcu (16) must not exceed maxAcu (4)'),
      expect.stringContaining(
        'reservedConcurrency: 3 is below stream.shardCount × consumer.parallelizationFactor = 16',
      ),
      expect.stringContaining('give certificateArn'),
    ]);
  });

  it('serves a custom domain with a DNS-validated certificate from us-east-1', () => {
    const { cloud, edge } = synthApp({
      ...TEST_CONFIG,
      api: { domain: { name: 'pcf.example.com', hostedZoneId: 'Z0123456789ABC', hostedZoneName: 'example.com' } },
    });
    Template.fromStack(edge).hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'pcf.example.com',
    });
    const t = Template.fromStack(cloud);
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['pcf.example.com'],
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' }),
      }),
    });
    t.resourceCountIs('AWS::Route53::RecordSet', 2);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PCF_EDGE_PUBLIC_BASE_URL: 'https://pcf.example.com' }) },
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['https://pcf.example.com/'] });
  });

  it('people: optional MFA and the Plus tier are choices; a bad domain prefix is refused', () => {
    const { cloud } = synthApp({
      ...TEST_CONFIG,
      people: {
        domainPrefix: 'acme-pcf',
        mfa: 'optional',
        featurePlan: 'plus',
        extraCallbackUrls: ['http://localhost:8080/'],
      },
    });
    const t = Template.fromStack(cloud);
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'OPTIONAL',
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-pcf' });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: Match.arrayWith(['http://localhost:8080/']),
    });
    expect(() => deployConfig({ ...TEST_CONFIG, people: { domainPrefix: 'my-cognito-login' } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});
