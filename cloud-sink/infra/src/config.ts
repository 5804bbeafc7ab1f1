import { readDataFile, validateConfig } from '@pcf-edge/core';
import schema from '../config.schema.json';

/** Retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * What one deployment of cloud-sink on AWS is made of. Units are in the key names; every field has a default except
 * `region`. Validated once (ajv, every problem listed), frozen.
 */
export interface DeployConfig {
  /** Prefix of the stack names: `<prefix>Cloud` in `region`, `<prefix>Edge` (WAF, certificate) in us-east-1. */
  stackPrefix: string;
  region: string;
  /** `name` is what the gateways' stream exporter names (`kinesisStreamName`, default as in its recipe). */
  stream: { name: string; shardCount: number; retentionHours: number };
  consumer: {
    /** Records per invocation and per shard; the longest wait to fill a batch. */
    batchSize: number;
    maxBatchingWindowSec: number;
    /** Concurrent batches per shard (1–10); records with the same partition key stay in order. */
    parallelizationFactor: number;
    /** Reserved concurrency of the consumer: at least shardCount × parallelizationFactor. */
    reservedConcurrency: number;
    /** A failing batch is retried (halved each time) this often, or until a record is this old; then it goes to the DLQ. */
    retryAttempts: number;
    maxRecordAgeSec: number;
    memoryMb: number;
  };
  database: {
    /** Aurora Serverless v2 capacity bounds (ACU, 0.5 steps; minAcu 0 lets the cluster pause when idle). */
    minAcu: number;
    maxAcu: number;
    backupRetentionDays: number;
    /** Rotation period of the database credentials. */
    rotationDays: number;
    deletionProtection: boolean;
  };
  archive: {
    /** Raw batches move to S3 Standard-IA, then Glacier Flexible Retrieval; 0 = never expire. */
    infrequentAccessAfterDays: number;
    glacierAfterDays: number;
    expireAfterDays: number;
  };
  api: {
    reservedConcurrency: number;
    memoryMb: number;
    /** WAF rate-based rule: requests per client IP per 5 minutes before it is blocked. */
    wafRequestsPer5Min: number;
    /** Custom domain; without it the distribution's *.cloudfront.net name serves the API. */
    domain?: { name: string; hostedZoneId?: string; hostedZoneName?: string; certificateArn?: string };
  };
  /** People on the dashboard: the Cognito user pool (ADR 0197). */
  people: {
    /** Prefix of the hosted sign-in domain `<prefix>.auth.<region>.amazoncognito.com`; default `<stackprefix>-people-<account>`. */
    domainPrefix?: string;
    /** TOTP second factor: required of everyone, or each person's choice. */
    mfa: 'required' | 'optional';
    /** Cognito feature plan; `plus` adds threat protection (billed per monthly active user). */
    featurePlan: 'essentials' | 'plus';
    /** Lifetime of a person's access token (minutes, 5–60). */
    accessTokenMinutes: number;
    /** More callback and sign-out URLs of the dashboard client (e.g. `http://localhost:8080/` for development). */
    extraCallbackUrls: string[];
  };
  recompute: {
    /** EventBridge cron fields (UTC); default 03:00 on the 2nd of each month, for the previous month. */
    schedule: { minute: string; hour: string; day: string };
    method: 'location' | 'market';
    gwpSet: string;
    shareKey: string;
    overheadKey: string;
  };
  logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  alarms: {
    /** Where alarm notifications go (an SNS email subscription); none when absent. */
    email?: string;
    iteratorAgeMaxSec: number;
    api5xxPer5Min: number;
    acuUtilizationPercent: number;
  };
}

/** The JSON Schema of DeployConfig (config.schema.json beside this workspace's README, as every workspace keeps it). */
export const DEPLOY_CONFIG_SCHEMA: object = schema;

/** Checks across fields: what the schema cannot say. */
function crossChecks(c: DeployConfig): string[] {
  const errors: string[] = [];
  if (c.database.minAcu > c.database.maxAcu)
    errors.push(`/database: minAcu (${c.database.minAcu}) must not exceed maxAcu (${c.database.maxAcu})`);
  const needed = c.stream.shardCount * c.consumer.parallelizationFactor;
  if (c.consumer.reservedConcurrency < needed)
    errors.push(
      `/consumer/reservedConcurrency: ${c.consumer.reservedConcurrency} is below stream.shardCount × consumer.parallelizationFactor = ${needed} (batches would wait for a free instance)`,
    );
  if (c.archive.glacierAfterDays <= c.archive.infrequentAccessAfterDays)
    errors.push('/archive: glacierAfterDays must be later than infrequentAccessAfterDays');
  if (c.archive.expireAfterDays !== 0 && c.archive.expireAfterDays <= c.archive.glacierAfterDays)
    errors.push('/archive: expireAfterDays must be 0 (never) or later than glacierAfterDays');
  const d = c.api.domain;
  if (d) {
    if ((d.hostedZoneId === undefined) !== (d.hostedZoneName === undefined))
      errors.push('/api/domain: hostedZoneId and hostedZoneName go together');
    if (!d.certificateArn && !d.hostedZoneId)
      errors.push('/api/domain: give certificateArn (us-east-1), or hostedZoneId and hostedZoneName to create one');
    if (d.hostedZoneName && d.name !== d.hostedZoneName && !d.name.endsWith(`.${d.hostedZoneName}`))
      errors.push(`/api/domain: name ${d.name} is not in hosted zone ${d.hostedZoneName}`);
  }
  return errors;
}

/** Validates a deployment config (defaults applied, frozen); ERR_CONFIG_INVALID lists every problem. */
export function deployConfig(data: unknown, source = 'deploy config'): Readonly<DeployConfig> {
  return validateConfig<DeployConfig>(data, DEPLOY_CONFIG_SCHEMA, source, crossChecks);
}

export function loadDeployConfig(file: string): Readonly<DeployConfig> {
  return deployConfig(readDataFile(file), file);
}
