import {
  PcfError,
  QUANTITY_NAMES,
  QUANTITIES,
  isPcfError,
  isQuantity,
  readDataFile,
  retryProblems,
  validateConfig,
  type Logger,
  type MeterRole,
  type PointKind,
  type Quantity,
  type RetrySettings,
} from '@pcf-edge/core';
import schema from '../config.schema.json';
import { parseNodeId } from './node-id';

export { schema as configSchema };

export type SecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';
export type SecurityPolicyName =
  'None' | 'Basic128Rsa15' | 'Basic256' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

/** OPC UA security policies deprecated by the specification (SHA-1, RSA PKCS#1 v1.5). */
export const DEPRECATED_POLICIES: readonly SecurityPolicyName[] = ['Basic128Rsa15', 'Basic256'];

export interface EndpointConfig {
  id: string;
  url: string;
  securityMode: SecurityMode;
  securityPolicy: SecurityPolicyName;
  deprecatedSecurityPolicy: 'refuse' | 'allow';
  userName?: string;
  /** Never logged. From a configuration file, or filled in from `passwordSecret` under Greengrass. */
  password?: string;
  /** The Secrets Manager secret holding the password, read through aws.greengrass.SecretManager (Greengrass only). */
  passwordSecret?: { arn: string; key?: string };
  pkiDir: string;
  automaticallyAcceptUnknownCertificate: boolean;
  requestTimeoutMs: number;
  sessionTimeoutMs: number;
  retry: RetrySettings;
}

export interface PointConfig {
  name: string;
  nodeId: string;
  quantity: Quantity;
  kind?: PointKind;
  mode: 'subscribe' | 'poll';
  samplingIntervalMs: number;
  /** Absolute deadband in the node's raw unit. */
  deadband?: number;
  scale: number;
  modulus?: number;
  maxRatePerHour?: number;
}

export interface MeterConfig {
  id: string;
  line: string;
  endpoint: string;
  /** Node whose String value is the meter's serial number; stamped on readings as `meterSerial`. */
  serialNodeId?: string;
  /** Absent: the aggregator rolls the meter up per meter only. */
  role?: MeterRole;
  points: PointConfig[];
}

export interface OpcUaCollectorConfig {
  site: string;
  endpoints: EndpointConfig[];
  meters: MeterConfig[];
  maxMonitoredItemsPerSubscription: number;
  queueSize: number;
  healthIntervalMs: number;
  batch: { maxBatch: number; maxDelayMs: number };
}

type Loose = Record<string, unknown>;
const asArray = (v: unknown): Loose[] =>
  Array.isArray(v) ? v.filter((x): x is Loose => !!x && typeof x === 'object') : [];
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Pushes `path: duplicate id` for every repeated key. */
function duplicates(items: Loose[], key: string, basePath: string, what: string, out: string[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const id = str(item[key]);
    if (id === undefined) return;
    const first = seen.get(id);
    if (first !== undefined)
      out.push(`${basePath}/${i}/${key}: duplicate ${what} '${id}' (first at ${basePath}/${first})`);
    else seen.set(id, i);
  });
}

/** Security mode, policy and credentials of one endpoint: what would weaken the session or expose the password. */
function checkSecurity(e: Loose, i: number, out: string[]): void {
  const mode = str(e.securityMode) ?? 'None';
  const policy = str(e.securityPolicy) ?? 'None';
  if ((mode === 'None') !== (policy === 'None')) {
    out.push(
      `/endpoints/${i}/securityPolicy: securityMode ${mode} needs ${mode === 'None' ? "securityPolicy 'None'" : 'a securityPolicy other than None'}, got '${policy}'`,
    );
  }
  if ((DEPRECATED_POLICIES as string[]).includes(policy) && e.deprecatedSecurityPolicy !== 'allow')
    out.push(
      `/endpoints/${i}/securityPolicy: ${policy} is deprecated by OPC UA (SHA-1, RSA PKCS#1 v1.5); use Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss, or set deprecatedSecurityPolicy: allow`,
    );
  const credential = e.password !== undefined ? 'password' : e.passwordSecret !== undefined ? 'passwordSecret' : null;
  if (credential === null) return;
  if (e.password !== undefined && e.passwordSecret !== undefined)
    out.push(`/endpoints/${i}/passwordSecret: give either password or passwordSecret, not both`);
  if (e.userName === undefined) out.push(`/endpoints/${i}/${credential}: password given without userName`);
  if (mode === 'None')
    out.push(
      `/endpoints/${i}/${credential}: a password with securityMode None would cross the network in clear; use Sign or SignAndEncrypt`,
    );
}

function checkEndpoints(endpoints: Loose[], out: string[]): void {
  duplicates(endpoints, 'id', '/endpoints', 'endpoint id', out);
  endpoints.forEach((e, i) => {
    checkSecurity(e, i, out);
    const r = e.retry as Loose | undefined;
    if (r && typeof r.initialDelayMs === 'number' && typeof r.maxDelayMs === 'number')
      out.push(
        ...retryProblems({ initialDelayMs: r.initialDelayMs, maxDelayMs: r.maxDelayMs }, `/endpoints/${i}/retry`),
      );
  });
}

function checkPoint(p: Loose, path: string, out: string[]): void {
  const nodeId = str(p.nodeId);
  if (nodeId !== undefined) {
    const parsed = parseNodeId(nodeId);
    if (typeof parsed === 'string') out.push(`${path}/nodeId: ${parsed}`);
  }
  const q = str(p.quantity);
  if (q !== undefined && !isQuantity(q))
    out.push(`${path}/quantity: unknown quantity '${q}' (known: ${QUANTITY_NAMES.join(', ')})`);
  const kind = str(p.kind);
  if (q !== undefined && isQuantity(q) && kind !== undefined && kind !== QUANTITIES[q].kind) {
    out.push(`${path}/kind: '${kind}' contradicts quantity ${q}, which is a ${QUANTITIES[q].kind}`);
  }
  if (p.deadband !== undefined && p.mode === 'poll')
    out.push(`${path}/deadband: deadband applies to mode 'subscribe' only`);
  const isCounter = q !== undefined && isQuantity(q) && QUANTITIES[q].kind === 'counter';
  for (const key of ['modulus', 'maxRatePerHour']) {
    if (p[key] !== undefined && q !== undefined && isQuantity(q) && !isCounter)
      out.push(`${path}/${key}: only counters have ${key} (${q} is a gauge)`);
  }
}

/** Cross-reference checks the schema cannot express. Tolerant of a document that failed the schema. */
export function semanticErrors(data: unknown): string[] {
  const root = (data && typeof data === 'object' ? data : {}) as Loose;
  const out: string[] = [];
  const endpoints = asArray(root.endpoints);
  checkEndpoints(endpoints, out);
  const endpointIds = new Set(endpoints.map((e) => str(e.id)).filter((x): x is string => x !== undefined));
  const meters = asArray(root.meters);
  duplicates(meters, 'id', '/meters', 'meter id', out);
  meters.forEach((m, i) => {
    const ep = str(m.endpoint);
    if (ep !== undefined && !endpointIds.has(ep)) {
      out.push(`/meters/${i}/endpoint: unknown endpoint '${ep}' (defined: ${[...endpointIds].join(', ') || 'none'})`);
    }
    const serial = str(m.serialNodeId);
    if (serial !== undefined) {
      const parsed = parseNodeId(serial);
      if (typeof parsed === 'string') out.push(`/meters/${i}/serialNodeId: ${parsed}`);
    }
    const points = asArray(m.points);
    duplicates(points, 'name', `/meters/${i}/points`, 'point name', out);
    points.forEach((p, j) => checkPoint(p, `/meters/${i}/points/${j}`, out));
  });
  return out;
}

/**
 * Validates a parsed config: schema (defaults applied) plus semantic checks, all reported together in one
 * ERR_CONFIG_INVALID whose details.errors lists every `path: message`. Returns the frozen config.
 */
export function validateOpcUaConfig(data: unknown, source: string, log?: Logger): Readonly<OpcUaCollectorConfig> {
  try {
    return validateConfig<OpcUaCollectorConfig>(data, schema, source, (c) => semanticErrors(c), log);
  } catch (err) {
    if (!isPcfError(err, 'ERR_CONFIG_INVALID')) throw err;
    const schemaErrors = (err.details.errors as string[]) ?? [];
    const all = [...new Set([...schemaErrors, ...semanticErrors(data)])];
    if (all.length === schemaErrors.length) throw err;
    throw new PcfError('ERR_CONFIG_INVALID', `invalid configuration in ${source}:\n  ${all.join('\n  ')}`, {
      source,
      errors: all,
    });
  }
}

/**
 * A configuration file: as validateOpcUaConfig, and a `passwordSecret` is refused (only Greengrass can read it).
 * Deprecated spellings accepted are logged to `log`.
 */
export function loadOpcUaConfig(file: string, log?: Logger): Readonly<OpcUaCollectorConfig> {
  const config = validateOpcUaConfig(readDataFile(file), file, log);
  const errors = config.endpoints
    .map((e, i) =>
      e.passwordSecret
        ? `/endpoints/${i}/passwordSecret: needs Greengrass (aws.greengrass.SecretManager); in a configuration file give password`
        : '',
    )
    .filter((x) => x !== '');
  if (errors.length > 0)
    throw new PcfError('ERR_CONFIG_INVALID', `invalid configuration in ${file}:\n  ${errors.join('\n  ')}`, {
      source: file,
      errors,
    });
  return config;
}

/** The point's kind: as configured, else the quantity's. */
export function kindOf(p: PointConfig): PointKind {
  return p.kind ?? QUANTITIES[p.quantity].kind;
}
