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
import { getProfile, registerCount, type PointDefinition, type SerialLine } from '@pcf-edge/profiles';
import schema from '../config.schema.json';

export { schema as configSchema };

export type Table = PointDefinition['table'];

/** How the collector reaches a device: Modbus TCP, Modbus RTU on a serial port, or RTU frames over TCP. */
export type Transport = 'tcp' | 'rtu' | 'rtuOverTcp';

/** Modbus TCP's registered port, the default of `port`. */
export const DEFAULT_TCP_PORT = 502;

/** The serial line of an RTU bus: for `rtu` the port the collector opens, for `rtuOverTcp` the converter's line. */
export interface SerialSettings extends SerialLine {
  /** rtu only: the serial device, e.g. /dev/ttyUSB0. */
  path?: string;
  /** Times a request is sent again after its reply failed the CRC check. */
  crcRetries: number;
}

export interface DeviceConfig {
  id: string;
  transport: Transport;
  /** tcp and rtuOverTcp. */
  host?: string;
  /** tcp and rtuOverTcp; default DEFAULT_TCP_PORT. */
  port?: number;
  /** rtu and rtuOverTcp. */
  serial?: SerialSettings;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxRegistersPerRead: number;
  maxGapRegisters: number;
  pauseBetweenRequestsMs: number;
  retry: RetrySettings;
  circuitBreaker: CircuitBreakerSettings;
}

/** Host and port of a tcp or rtuOverTcp device of a validated config. */
export function tcpEndpoint(device: DeviceConfig): { host: string; port: number } {
  if (device.host === undefined) throw new Error(`device ${device.id}: no host in a validated config`);
  return { host: device.host, port: device.port ?? DEFAULT_TCP_PORT };
}

/** The serial settings of an rtu or rtuOverTcp device of a validated config. */
export function serialSettings(device: DeviceConfig): SerialSettings {
  if (device.serial === undefined) throw new Error(`device ${device.id}: no serial settings in a validated config`);
  return device.serial;
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

/** What each transport needs and refuses: every key given is used, or named as not applying. */
function transportProblems(d: DeviceConfig, at: string): string[] {
  const errors: string[] = [];
  const t = d.transport;
  const notFor = (key: string, why: string) => errors.push(`${at}/${key}: not used by transport ${t} (${why})`);
  if (t === 'rtu') {
    if (d.host !== undefined) notFor('host', 'the bus is serial.path');
    if (d.port !== undefined) notFor('port', 'the bus is serial.path');
    if (d.serial === undefined) errors.push(`${at}: transport rtu needs serial (path, baudRate, …)`);
    else if (d.serial.path === undefined) errors.push(`${at}/serial: transport rtu needs path (the serial device)`);
    return errors;
  }
  if (d.host === undefined) errors.push(`${at}: transport ${t} needs host`);
  if (t === 'tcp') {
    if (d.serial !== undefined) notFor('serial', 'serial settings apply to rtu and rtuOverTcp');
  } else if (d.serial === undefined) {
    errors.push(`${at}: transport rtuOverTcp needs serial (the converter's baudRate, parity, stopBits set the timing)`);
  } else if (d.serial.path !== undefined) {
    notFor('serial/path', 'the converter owns the serial port');
  }
  return errors;
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
  const buses = new Map<string, number>();
  config.devices.forEach((d, i) => {
    if (d.maxRegistersPerRead > 125)
      errors.push(`/devices/${i}/maxRegistersPerRead: ${d.maxRegistersPerRead} exceeds the Modbus limit of 125`);
    errors.push(...retryProblems(d.retry, `/devices/${i}/retry`));
    errors.push(...transportProblems(d, `/devices/${i}`));
    const path = d.transport === 'rtu' ? d.serial?.path : undefined;
    if (path === undefined) return;
    const first = buses.get(path);
    if (first === undefined) buses.set(path, i);
    else
      errors.push(
        `/devices/${i}/serial/path: '${path}' is already the bus of /devices/${first} (one device per bus; give its meters their unit ids)`,
      );
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
