import {
  isPcfError,
  isQuantity,
  loadConfig,
  QUANTITIES,
  retryProblems,
  validateConfig,
  type CircuitBreakerSettings,
  type Logger,
  type MeterRole,
  type PointKind,
  type Quantity,
  type RetrySettings,
} from '@pcf-edge/core';
import { getProfile, registerCount, type PointDefinition } from '@pcf-edge/profiles';
import schema from '../config.schema.json';

export { schema as configSchema };

export type Table = PointDefinition['table'];

export interface DeviceConfig {
  id: string;
  host: string;
  port: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxRegistersPerRead: number;
  maxGapRegisters: number;
  pauseBetweenRequestsMs: number;
  retry: RetrySettings;
  circuitBreaker: CircuitBreakerSettings;
}

/** A point as written in the config (kind optional, defaults applied by the schema). */
export interface PointConfig extends Omit<PointDefinition, 'kind' | 'quantity'> {
  quantity: string;
  kind?: PointKind;
  minValue?: number;
  maxValue?: number;
}

/** A profile point's counter settings replaced for one meter (null: none). */
export interface PointOverride {
  modulus?: number | null;
  maxRatePerHour?: number | null;
}

export interface MeterConfig {
  id: string;
  line: string;
  device: string;
  unitId: number;
  pollIntervalMs: number;
  /** Absent: the aggregator rolls the meter up per meter only. */
  role?: MeterRole;
  profile?: string;
  points?: PointConfig[];
  /** With `profile` only: per point name. */
  overrides?: Record<string, PointOverride>;
}

export interface CollectorConfig {
  site: string;
  devices: DeviceConfig[];
  meters: MeterConfig[];
  batch: { maxBatch: number; maxDelayMs: number };
  healthIntervalMs: number;
}

/** A point ready to poll: quantity checked, kind resolved, physical range known. */
export interface ResolvedPoint extends PointDefinition {
  quantity: Quantity;
  kind: PointKind;
  minValue?: number;
  maxValue?: number;
}

/** The points of a meter, from its profile or its own `points[]`. Call only on a validated config. */
export function meterPoints(meter: MeterConfig): ResolvedPoint[] {
  const source: readonly (PointConfig | PointDefinition)[] = meter.profile
    ? getProfile(meter.profile).points
    : (meter.points ?? []);
  return source.map((p) => {
    const quantity = p.quantity as Quantity;
    return { ...p, quantity, kind: p.kind ?? QUANTITIES[quantity].kind } as ResolvedPoint;
  });
}

function checkDuplicates(ids: string[], path: (i: number) => string, what: string, errors: string[]): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else errors.push(`${path(i)}: duplicate ${what} '${id}' (first at ${path(first)})`);
  });
}

function checkPoints(points: readonly (PointConfig | PointDefinition)[], base: string, errors: string[]): void {
  checkDuplicates(
    points.map((p) => p.name),
    (i) => `${base}/${i}/name`,
    'point name',
    errors,
  );
  const spans: { table: string; from: number; to: number; i: number }[] = [];
  points.forEach((p, i) => {
    const at = `${base}/${i}`;
    if (!isQuantity(p.quantity)) {
      errors.push(
        `${at}/quantity: '${p.quantity}' is not in the quantity catalogue (${Object.keys(QUANTITIES).join(', ')})`,
      );
    } else if (p.kind !== undefined && p.kind !== QUANTITIES[p.quantity].kind) {
      errors.push(`${at}/kind: '${p.kind}' contradicts quantity '${p.quantity}' (a ${QUANTITIES[p.quantity].kind})`);
    } else {
      for (const key of ['modulus', 'maxRatePerHour'] as const) {
        if (p[key] !== undefined && QUANTITIES[p.quantity].kind !== 'counter')
          errors.push(`${at}/${key}: only counters have ${key} (${p.quantity} is a gauge)`);
      }
    }
    const bits = p.table === 'coil' || p.table === 'discrete';
    const len = bits ? 1 : registerCount(p.type);
    if (p.address + len - 1 > 65535) {
      errors.push(`${at}/address: ${p.address} + ${len} register(s) runs past 65535`);
    }
    for (const s of spans) {
      if (s.table === p.table && p.address <= s.to && p.address + len - 1 >= s.from) {
        errors.push(`${at}: registers ${p.address}..${p.address + len - 1} (${p.table}) overlap point ${base}/${s.i}`);
      }
    }
    spans.push({ table: p.table, from: p.address, to: p.address + len - 1, i });
  });
}

function checkOverrides(m: MeterConfig, points: readonly PointDefinition[], base: string, errors: string[]): void {
  for (const name of Object.keys(m.overrides ?? {})) {
    const p = points.find((x) => x.name === name);
    if (!p) errors.push(`${base}/${name}: profile '${m.profile}' has no point '${name}'`);
    else if (p.kind !== 'counter') errors.push(`${base}/${name}: point '${name}' of '${m.profile}' is not a counter`);
  }
}

/** Semantic checks after the schema passed: every problem as `path: message`. */
export function checkConfig(config: CollectorConfig): string[] {
  const errors: string[] = [];
  checkDuplicates(
    config.devices.map((d) => d.id),
    (i) => `/devices/${i}/id`,
    'device id',
    errors,
  );
  checkDuplicates(
    config.meters.map((m) => m.id),
    (i) => `/meters/${i}/id`,
    'meter id',
    errors,
  );
  config.devices.forEach((d, i) => {
    if (d.maxRegistersPerRead > 125)
      errors.push(`/devices/${i}/maxRegistersPerRead: ${d.maxRegistersPerRead} exceeds the Modbus limit of 125`);
    errors.push(...retryProblems(d.retry, `/devices/${i}/retry`));
  });
  const deviceIds = new Set(config.devices.map((d) => d.id));
  config.meters.forEach((m, i) => {
    if (!deviceIds.has(m.device)) errors.push(`/meters/${i}/device: unknown device '${m.device}'`);
    if (m.profile !== undefined) {
      try {
        const profile = getProfile(m.profile);
        checkPoints(profile.points, `/meters/${i}/profile(${m.profile})/points`, errors);
        checkOverrides(m, profile.points, `/meters/${i}/overrides`, errors);
      } catch (err) {
        if (!isPcfError(err, 'ERR_PROFILE_UNKNOWN')) throw err;
        errors.push(`/meters/${i}/profile: unknown profile '${m.profile}'`);
      }
    } else {
      checkPoints(m.points ?? [], `/meters/${i}/points`, errors);
      if (m.overrides !== undefined)
        errors.push(
          `/meters/${i}/overrides: only with a profile (inline points state modulus and maxRatePerHour themselves)`,
        );
    }
  });
  return errors;
}

/**
 * Loads, validates (schema, then semantics) and freezes; throws one ERR_CONFIG_INVALID naming every path.
 * Deprecated spellings accepted are logged to `log`.
 */
export function loadCollectorConfig(file: string, log?: Logger): Readonly<CollectorConfig> {
  return loadConfig<CollectorConfig>(file, schema, checkConfig, log);
}

export function parseCollectorConfig(data: unknown, source: string, log?: Logger): Readonly<CollectorConfig> {
  return validateConfig<CollectorConfig>(data, schema, source, checkConfig, log);
}
