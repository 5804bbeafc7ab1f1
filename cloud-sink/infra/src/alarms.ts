import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { CONSUMER_METRICS } from '../../src/aws/metrics';
import type { Api } from './api';
import type { DeployConfig } from './config';
import type { Database } from './database';
import type { Ingest } from './ingest';
import type { Recompute } from './recompute';

/**
 * CloudWatch alarms, each to one encrypted SNS topic. What each means and what to do: docs/deploy-cloud.md.
 * Missing data is not breaching: a quiet stream or an idle API is not an incident.
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    props: { config: DeployConfig; key: kms.IKey; ingest: Ingest; api: Api; database: Database; recompute: Recompute },
  ) {
    super(scope, id);
    const a = props.config.alarms;
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'pcf-edge alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    if (a.email) this.topic.addSubscription(new subscriptions.EmailSubscription(a.email));
    const consumer = props.ingest.consumer.fn;
    const custom = (name: string) =>
      new cloudwatch.Metric({
        namespace: props.ingest.metricsNamespace,
        metricName: name,
        dimensionsMap: { Function: consumer.functionName },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    const add = (
      id: string,
      description: string,
      props: Omit<cloudwatch.AlarmProps, 'metric'>,
      metric: cloudwatch.IMetric,
    ) => {
      const alarm = new cloudwatch.Alarm(this, id, {
        ...props,
        metric,
        alarmDescription: description,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      this.alarms.push(alarm);
    };
    const atLeastOnce = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    };
    add(
      'IteratorAge',
      `The consumer is more than ${a.iteratorAgeMaxSec} s behind the stream for 5 minutes.`,
      {
        threshold: a.iteratorAgeMaxSec * 1000,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      consumer.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
    );
    add(
      'FailedRecords',
      'Records could not be stored and are being retried (database unavailable or refusing writes).',
      atLeastOnce,
      custom(CONSUMER_METRICS.failed),
    );
    add(
      'DeadLetteredRecords',
      'Records were not valid rollup batches and were kept in dead_letters, not ingested.',
      atLeastOnce,
      custom(CONSUMER_METRICS.deadLettered),
    );
    add(
      'ConsumerErrors',
      'The consumer function itself failed (configuration, timeout, crash).',
      atLeastOnce,
      consumer.metricErrors({ period: Duration.minutes(5) }),
    );
    add(
      'FailedBatchesQueue',
      'Batches gave up after their retries and are described in the failed-batches queue: their records were not ingested.',
      atLeastOnce,
      props.ingest.failedBatches.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    );
    add(
      'Api5xx',
      `The API answered 5xx ${a.api5xxPer5Min} or more times in 5 minutes.`,
      {
        threshold: a.api5xxPer5Min,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      },
      props.api.httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
    );
    add(
      'AuroraCapacity',
      `Aurora uses ${a.acuUtilizationPercent} % or more of its maximum capacity for 15 minutes: raise database.maxAcu.`,
      {
        threshold: a.acuUtilizationPercent,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      },
      props.database.cluster.metric('ACUUtilization', { statistic: 'Maximum', period: Duration.minutes(5) }),
    );
    add(
      'RecomputeFailed',
      'The scheduled recomputation failed or left products without a result.',
      atLeastOnce,
      props.recompute.fn.fn.metricErrors({ period: Duration.minutes(5) }),
    );
  }
}
