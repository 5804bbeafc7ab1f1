import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeployConfig } from './config';
import type { Database } from './database';
import { CloudSinkFunction } from './lambda';
import type { Network } from './network';
import { LAMBDA_IN_VPC_WAIVERS, waive } from './nag';

/**
 * The scheduled recomputation: an EventBridge rule invokes the recompute function for the previous month with the
 * configured method, GWP set and keys; it runs the per-period batch of `cloud-sink recompute --period` (ADR 0234),
 * which stores and publishes only what changed since the last run. No retries: a failure is a data problem (a missing
 * factor) that a retry does not fix; it raises the function's error alarm.
 */
export class Recompute extends Construct {
  readonly fn: CloudSinkFunction;
  readonly rule: events.Rule;

  constructor(
    scope: Construct,
    id: string,
    props: { config: DeployConfig; network: Network; database: Database; settings: secretsmanager.ISecret },
  ) {
    super(scope, id);
    const { recompute: r, logRetentionDays } = props.config;
    this.fn = new CloudSinkFunction(this, 'Function', {
      entry: 'recompute',
      description: 'pcf-edge cloud-sink: scheduled recomputation and publishing of the period’s PCFs',
      memoryMb: 2048,
      timeout: Duration.minutes(15),
      environment: { ...props.database.environment, PCF_EDGE_API_SETTINGS_SECRET_ARN: props.settings.secretArn },
      vpc: props.network.vpc,
      securityGroup: props.network.functions,
      logRetentionDays,
      reservedConcurrency: 1,
    });
    this.fn.fn.configureAsyncInvoke({ retryAttempts: 0 });
    props.database.cluster.secret!.grantRead(this.fn.fn);
    props.settings.grantRead(this.fn.fn);
    this.fn.fn.node.addDependency(props.database.schema);
    waive(this.fn, LAMBDA_IN_VPC_WAIVERS);
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'pcf-edge: recompute and publish the previous month’s PCFs',
      schedule: events.Schedule.cron({ ...r.schedule, month: '*', year: '*' }),
      targets: [
        new eventTargets.LambdaFunction(this.fn.fn, {
          retryAttempts: 0,
          event: events.RuleTargetInput.fromObject({
            period: 'previousMonth',
            method: r.method,
            gwpSet: r.gwpSet,
            shareKey: r.shareKey,
            overheadKey: r.overheadKey,
          }),
        }),
      ],
    });
  }
}
