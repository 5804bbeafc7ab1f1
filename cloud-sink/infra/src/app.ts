import { App, CrossStackReferences, ReferenceStrength, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CloudStack } from './cloud-stack';
import type { DeployConfig } from './config';
import { EdgeStack } from './edge-stack';

export interface PcfEdgeStacks {
  edge: EdgeStack;
  cloud: CloudStack;
}

/**
 * Adds the two stacks of a deployment to `app`. Both name their region and no account: synthesis needs no AWS
 * credentials and does no context lookup (availability zones come from Fn::GetAZs at deploy time). The cloud stack
 * reads the edge stack's outputs across regions with weak references (Fn::GetStackOutput, no custom resource).
 * cdk-nag's AwsSolutions checks run on every synthesis: an unacknowledged finding stops it (waivers carry reasons).
 */
export function addPcfEdgeStacks(app: App, config: DeployConfig): PcfEdgeStacks {
  CrossStackReferences.of(app).consume(ReferenceStrength.WEAK);
  const edge = new EdgeStack(app, `${config.stackPrefix}Edge`, {
    env: { region: 'us-east-1' },
    config,
    description: 'pcf-edge cloud-sink: WAF web ACL and certificate for CloudFront (us-east-1)',
  });
  const cloud = new CloudStack(app, `${config.stackPrefix}Cloud`, {
    env: { region: config.region },
    crossRegionReferences: true,
    config,
    webAclArn: edge.webAclArn,
    ...(edge.certificate ? { certificate: edge.certificate } : {}),
    description: 'pcf-edge cloud-sink: ingest, database, PCF engine, PACT API and dashboard',
  });
  for (const s of [edge, cloud]) Tags.of(s).add('project', 'pcf-edge');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { edge, cloud };
}
