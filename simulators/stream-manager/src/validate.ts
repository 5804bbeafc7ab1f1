import {
  definitionFromWire,
  Status,
  StreamManagerError,
  type KinesisConfig,
  type MessageStreamDefinition,
} from '@pcf-edge/stream-manager-client';

/**
 * Checks a MessageStreamDefinition as received on the wire against the protocol's rules and applies defaults.
 * Every problem is listed in one InvalidRequest (status 3) error.
 */
const NAME = /^[\w ,.\-_]*$/;
export const DEFAULT_MAX_SIZE = 268_435_456n;
export const DEFAULT_SEGMENT_SIZE = 16_777_216;
const INT64_MAX = 2n ** 63n - 1n;

function isInt(v: unknown): v is number | bigint {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
}

function checkRange(
  problems: string[],
  raw: Record<string, unknown>,
  key: string,
  min: bigint,
  max: bigint,
  path = key,
): void {
  const v = raw[key];
  if (v === undefined || v === null) return;
  if (!isInt(v) || BigInt(v) < min || BigInt(v) > max) problems.push(`${path} must be an integer in ${min}…${max}`);
}

function checkName(problems: string[], v: unknown, path: string): void {
  if (typeof v !== 'string' || v.length < 1 || v.length > 255 || !NAME.test(v)) {
    problems.push(`${path} must be 1–255 characters of letters, digits, space , . - _`);
  }
}

function checkKinesis(problems: string[], raw: unknown, i: number): void {
  const path = `exportDefinition.kinesis[${i}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${path} must be a map`);
    return;
  }
  const k = raw as Record<string, unknown>;
  checkName(problems, k.identifier, `${path}.identifier`);
  if (typeof k.kinesisStreamName !== 'string' || k.kinesisStreamName.length === 0)
    problems.push(`${path}.kinesisStreamName is required`);
  checkRange(problems, k, 'batchSize', 1n, 500n, `${path}.batchSize`);
  checkRange(problems, k, 'batchIntervalMillis', 60_000n, INT64_MAX, `${path}.batchIntervalMillis`);
  checkRange(problems, k, 'priority', 1n, 10n, `${path}.priority`);
  checkRange(problems, k, 'startSequenceNumber', 0n, INT64_MAX, `${path}.startSequenceNumber`);
  if (k.disabled !== undefined && typeof k.disabled !== 'boolean') problems.push(`${path}.disabled must be a boolean`);
}

export function validateDefinition(raw: unknown): MessageStreamDefinition {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StreamManagerError(Status.InvalidRequest, 'definition is required and must be a map');
  }
  const d = raw as Record<string, unknown>;
  const problems: string[] = [];
  checkName(problems, d.name, 'name');
  checkRange(problems, d, 'maxSize', 1024n, INT64_MAX);
  checkRange(problems, d, 'streamSegmentSize', 1024n, 2n ** 31n - 1n);
  checkRange(problems, d, 'timeToLiveMillis', 60_000n, INT64_MAX);
  if (d.strategyOnFull !== 0 && d.strategyOnFull !== 1)
    problems.push('strategyOnFull is required: 0 RejectNewData or 1 OverwriteOldestData');
  if (d.persistence !== undefined && d.persistence !== 0 && d.persistence !== 1)
    problems.push('persistence must be 0 File or 1 Memory');
  if (d.flushOnWrite !== undefined && typeof d.flushOnWrite !== 'boolean')
    problems.push('flushOnWrite must be a boolean');
  const ed = d.exportDefinition as Record<string, unknown> | undefined;
  if (ed !== undefined && (ed === null || typeof ed !== 'object' || Array.isArray(ed)))
    problems.push('exportDefinition must be a map');
  else if (ed?.kinesis !== undefined) {
    if (!Array.isArray(ed.kinesis)) problems.push('exportDefinition.kinesis must be an array');
    else ed.kinesis.forEach((k, i) => checkKinesis(problems, k, i));
  }
  if (problems.length > 0) throw new StreamManagerError(Status.InvalidRequest, problems.join('; '), { problems });
  const def = definitionFromWire(d);
  const ids = new Set<string>();
  for (const k of def.exportDefinition?.kinesis ?? []) {
    if (ids.has(k.identifier))
      throw new StreamManagerError(Status.InvalidRequest, `export identifier ${k.identifier} is used twice`);
    ids.add(k.identifier);
  }
  return {
    ...def,
    maxSize: def.maxSize ?? DEFAULT_MAX_SIZE,
    streamSegmentSize: def.streamSegmentSize ?? DEFAULT_SEGMENT_SIZE,
    persistence: def.persistence ?? 0,
    flushOnWrite: def.flushOnWrite ?? false,
  };
}

export function kinesisExports(def: MessageStreamDefinition): KinesisConfig[] {
  return def.exportDefinition?.kinesis ?? [];
}
