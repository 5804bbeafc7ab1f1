import {
  loadConfig,
  retryProblems,
  validateConfig,
  type Logger,
  type RetrySettings,
  type SemanticCheck,
} from '@pcf-edge/core';
import schema from '../config.schema.json';

export interface StreamExporterConfig {
  gatewayId: string;
  site: string;
  target: 'streamManager' | 'kinesis';
  streamName: string;
  kinesisStreamName?: string;
  maxSizeBytes: number;
  strategyOnFull: 'RejectNewData' | 'OverwriteOldestData';
  persistence: 'File' | 'Memory';
  batchSize: number;
  priority: number;
  maxRollupsPerMessage: number;
  inFlight: number;
  outboxCap: number;
  whenFull: 'block' | 'dropOldest';
  pollIntervalMs: number;
  retry: RetrySettings;
  streamManager: { host: string; port?: number; connectTimeoutMs: number; requestTimeoutMs: number };
  kinesis: { endpoint?: string; region?: string };
  signing: { keyFile?: string; secretId?: string };
}

export const configSchema = schema;

const check: SemanticCheck<StreamExporterConfig> = (c) => {
  const problems: string[] = [];
  if (c.target === 'kinesis' && c.kinesisStreamName === undefined)
    problems.push("/kinesisStreamName: required when target is 'kinesis'");
  problems.push(...retryProblems(c.retry, '/retry'));
  if (c.signing.keyFile !== undefined && c.signing.secretId !== undefined)
    problems.push('/signing: give keyFile or secretId, not both');
  return problems;
};

/** Deprecated spellings accepted are logged to `log`. */
export function parseExporterConfig(
  data: unknown,
  source = 'stream exporter config',
  log?: Logger,
): Readonly<StreamExporterConfig> {
  return validateConfig<StreamExporterConfig>(data, schema, source, check, log);
}

export function loadExporterConfig(file: string, log?: Logger): Readonly<StreamExporterConfig> {
  return loadConfig<StreamExporterConfig>(file, schema, check, log);
}
