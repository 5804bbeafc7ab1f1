import { readDataFile, validateConfig } from '@pcf-edge/core';

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

const int = (minimum: number, maximum: number, dflt: number) => ({ type: 'integer', minimum, maximum, default: dflt });
const allocationKey = { enum: ['units', 'mass', 'economicValue', 'machineTime'], default: 'units' };
const cronField = (dflt: string) => ({ type: 'string', pattern: '^[0-9*,/?LW#-]{1,40}$', default: dflt });

export const DEPLOY_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['region'],
  properties: {
    stackPrefix: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]{0,29}$', default: 'PcfEdge' },
    region: { type: 'string', pattern: '^[a-z]{2}(-gov)?-[a-z]+-[0-9]$' },
    stream: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        name: { type: 'string', pattern: '^[a-zA-Z0-9_.-]{1,128}$', default: 'pcf-edge-rollups' },
        shardCount: int(1, 500, 2),
        retentionHours: int(24, 8760, 168),
      },
    },
    consumer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        batchSize: int(1, 10_000, 100),
        maxBatchingWindowSec: int(0, 300, 1),
        parallelizationFactor: int(1, 10, 1),
        reservedConcurrency: int(1, 1000, 10),
        retryAttempts: int(0, 10_000, 10),
        maxRecordAgeSec: int(60, 604_800, 86_400),
        memoryMb: int(128, 10_240, 1024),
      },
    },
    database: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        minAcu: { type: 'number', minimum: 0, maximum: 256, multipleOf: 0.5, default: 0.5 },
        maxAcu: { type: 'number', minimum: 1, maximum: 256, multipleOf: 0.5, default: 8 },
        backupRetentionDays: int(1, 35, 14),
        rotationDays: int(1, 365, 30),
        deletionProtection: { type: 'boolean', default: true },
      },
    },
    archive: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        infrequentAccessAfterDays: int(30, 3650, 30),
        glacierAfterDays: int(31, 3650, 365),
        expireAfterDays: int(0, 36_500, 0),
      },
    },
    api: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        reservedConcurrency: int(1, 1000, 20),
        memoryMb: int(128, 10_240, 1024),
        wafRequestsPer5Min: int(10, 2_000_000_000, 2000),
        domain: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', pattern: '^([a-z0-9-]{1,63}\\.)+[a-z]{2,63}$' },
            hostedZoneId: { type: 'string', pattern: '^Z[A-Z0-9]{1,32}$' },
            hostedZoneName: { type: 'string', pattern: '^([a-z0-9-]{1,63}\\.)+[a-z]{2,63}$' },
            certificateArn: {
              type: 'string',
              pattern: '^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]{36}$',
            },
          },
        },
      },
    },
    recompute: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        schedule: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { minute: cronField('0'), hour: cronField('3'), day: cronField('2') },
        },
        method: { enum: ['location', 'market'], default: 'location' },
        gwpSet: { enum: ['AR4', 'AR5', 'AR6'], default: 'AR6' },
        shareKey: allocationKey,
        overheadKey: allocationKey,
      },
    },
    logRetentionDays: { enum: [...LOG_RETENTION_DAYS], default: 365 },
    alarms: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        email: { type: 'string', format: 'email' },
        iteratorAgeMaxSec: int(10, 604_800, 300),
        api5xxPer5Min: int(1, 1_000_000, 5),
        acuUtilizationPercent: int(10, 100, 90),
      },
    },
  },
};

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
