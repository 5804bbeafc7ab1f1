import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** A cdk-nag rule left unmet on purpose, with the reason a reviewer reads. */
export interface Waiver {
  id: string;
  reason: string;
  /** For rules with several findings per resource (IAM4, IAM5): the exact findings the reason covers. */
  appliesTo?: string[];
}

/**
 * Acknowledges findings on a construct and its children (cdk-nag 3: `Validations.of().acknowledge`, one id per
 * finding, `Rule[Finding]`); every waiver carries its written reason.
 */
export function waive(scope: IConstruct, waivers: Waiver[]): void {
  const v = Validations.of(scope);
  for (const w of waivers) {
    // the id the cdk-nag validation plugin reports: '<pack>::<rule>[<finding>]'
    const id = `AwsSolutions::${w.id}`;
    if (!w.appliesTo) v.acknowledge({ id, reason: w.reason });
    else for (const a of w.appliesTo) v.acknowledge({ id: `${id}[${a}]`, reason: w.reason });
  }
}

/** The IAM5 finding of a grant on every object of a bucket (`<bucket ARN>/*`). */
export function objectsOf(bucket: s3.IBucket): string {
  const stack = Stack.of(bucket);
  return `Resource::<${stack.resolve(stack.getLogicalId(bucket.node.defaultChild as CfnElement))}.Arn>/*`;
}

/** The findings every function in the isolated subnets shares. */
export const LAMBDA_IN_VPC_WAIVERS: Waiver[] = [
  {
    id: 'AwsSolutions-IAM4',
    reason:
      'AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole are the managed policies Lambda documents for writing logs and managing the ENIs of a function in a VPC; nothing else is granted through managed policies.',
    appliesTo: [
      'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    ],
  },
  {
    id: 'AwsSolutions-L1',
    reason:
      'Node.js 24 on purpose: it is the major the test suite runs the synthesized bundles on (ADR 0211); a newer runtime is adopted together with the tests.',
  },
];
