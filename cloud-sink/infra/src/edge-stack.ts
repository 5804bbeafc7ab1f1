import { Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config';

const visibility = (metricName: string) => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

const managed = (name: string, priority: number, overrides: string[] = []) => ({
  name: `AWS-${name}`,
  priority,
  overrideAction: { none: {} },
  statement: {
    managedRuleGroupStatement: {
      vendorName: 'AWS',
      name,
      ...(overrides.length > 0
        ? { ruleActionOverrides: overrides.map((n) => ({ name: n, actionToUse: { count: {} } })) }
        : {}),
    },
  },
  visibilityConfig: visibility(name),
});

/**
 * What CloudFront needs from us-east-1: the WAF web ACL (AWS managed rule groups and a per-IP rate-based rule) and,
 * when a domain with a hosted zone is configured and no certificate is given, the ACM certificate (DNS-validated).
 */
export class EdgeStack extends Stack {
  readonly webAclArn: string;
  readonly certificate?: acm.ICertificate;

  constructor(scope: Construct, id: string, props: StackProps & { config: DeployConfig }) {
    super(scope, id, props);
    const { api } = props.config;
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('pcf-edge-api'),
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        // bodies above 8 KB are reference uploads (CSV/JSON up to the API's own limit), not an attack: counted only
        managed('AWSManagedRulesCommonRuleSet', 1, ['SizeRestrictions_BODY']),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
        {
          name: 'rate-per-ip',
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: api.wafRequestsPer5Min, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('rate-per-ip'),
        },
      ],
    });
    this.webAclArn = acl.attrArn;
    const d = api.domain;
    if (d?.certificateArn) this.certificate = acm.Certificate.fromCertificateArn(this, 'Certificate', d.certificateArn);
    else if (d?.hostedZoneId && d.hostedZoneName) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: d.hostedZoneId,
        zoneName: d.hostedZoneName,
      });
      this.certificate = new acm.Certificate(this, 'Certificate', {
        domainName: d.name,
        validation: acm.CertificateValidation.fromDns(zone),
      });
    }
  }
}
