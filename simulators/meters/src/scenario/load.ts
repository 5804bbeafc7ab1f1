import { isPcfError, PcfError, readDataFile, validateConfig } from '@pcf-edge/core';
import { PROFILES } from '@pcf-edge/profiles';
import { scenarioSchema } from './schema';
import type { FaultType, MeterCommon, ModbusDevice, Scenario } from './types';
import { opcuaMedium, maxLoadPerHour, profileMedium, type Medium } from './medium';

/**
 * Validates a scenario: schema first (defaults applied), then the cross-references below. Any problem ⇒ one
 * PcfError ERR_SCENARIO_INVALID whose message and `details.errors` list every `path: message`.
 */
export function validateScenario(data: unknown, source = 'scenario'): Readonly<Scenario> {
  try {
    return validateConfig<Scenario>(data, scenarioSchema, source, checkScenario);
  } catch (err) {
    if (!isPcfError(err, 'ERR_CONFIG_INVALID')) throw err;
    throw new PcfError(
      'ERR_SCENARIO_INVALID',
      err.message.replace('invalid configuration', 'invalid scenario'),
      err.details,
      { cause: err },
    );
  }
}

export function loadScenario(file: string): Readonly<Scenario> {
  return validateScenario(readDataFile(file), file);
}

interface MeterRef {
  path: string;
  meter: MeterCommon;
  medium: Medium;
  profile?: string;
}

function checkScenario(s: Scenario): string[] {
  const errors: string[] = [];
  const ids = new Map<string, string>();
  const claim = (id: string, path: string): void => {
    const prev = ids.get(id);
    if (prev) errors.push(`${path}: id '${id}' is already used at ${prev}`);
    else ids.set(id, path);
  };
  const lines = new Map<string, { site: string; gas: boolean; peakKw: number; peakGas: number }>();
  s.sites.forEach((site, i) => {
    claim(site.id, `/sites/${i}/id`);
    site.lines.forEach((l, j) => {
      claim(l.id, `/sites/${i}/lines/${j}/id`);
      const peak = Math.max(l.idleLoadKw, l.producingLoadKw, l.changeoverLoadKw ?? 0) * (1 + l.jitter);
      const peakGas = l.gas ? Math.max(l.gas.idleM3PerHour, l.gas.producingM3PerHour) * (1 + l.jitter) : 0;
      lines.set(l.id, { site: site.id, gas: l.gas !== undefined, peakKw: peak, peakGas });
    });
  });
  const ports = new Map<number, string>();
  const claimPort = (port: number, path: string): void => {
    if (port === 0) return;
    const prev = ports.get(port);
    if (prev) errors.push(`${path}: port ${port} is already used at ${prev}`);
    else ports.set(port, path);
  };
  const meters: MeterRef[] = [];
  const serialPaths = new Map<string, string>();
  s.modbus.devices.forEach((d, i) => {
    claim(d.id, `/modbus/devices/${i}/id`);
    if (d.port !== undefined) claimPort(d.port, `/modbus/devices/${i}/port`);
    errors.push(...transportProblems(d, `/modbus/devices/${i}`));
    const path = d.transport === 'rtu' ? d.serial?.path : undefined;
    if (path !== undefined) {
      const prev = serialPaths.get(path);
      if (prev) errors.push(`/modbus/devices/${i}/serial/path: '${path}' is already served at ${prev}`);
      else serialPaths.set(path, `/modbus/devices/${i}/serial/path`);
    }
    const units = new Set<number>();
    d.meters.forEach((m, j) => {
      const path = `/modbus/devices/${i}/meters/${j}`;
      if (units.has(m.unitId)) errors.push(`${path}/unitId: unit id ${m.unitId} is used twice on device '${d.id}'`);
      if (m.unitId === 0 && d.transport !== 'tcp')
        errors.push(`${path}/unitId: 0 is the broadcast address on an RTU bus; use 1..247`);
      units.add(m.unitId);
      const profile = PROFILES[m.profile];
      if (!Object.prototype.hasOwnProperty.call(PROFILES, m.profile) || !profile) {
        errors.push(
          `${path}/profile: unknown meter profile '${m.profile}' (known: ${Object.keys(PROFILES).join(', ')})`,
        );
        return;
      }
      meters.push({ path, meter: m, medium: profileMedium(profile), profile: m.profile });
    });
  });
  if (s.opcua) {
    claimPort(s.opcua.port, '/opcua/port');
    s.opcua.meters.forEach((m, j) =>
      meters.push({ path: `/opcua/meters/${j}`, meter: m, medium: opcuaMedium(m.type) }),
    );
  }
  const shares = new Map<string, { sum: number; path: string }>();
  for (const ref of meters) {
    claim(ref.meter.id, `${ref.path}/id`);
    errors.push(...checkMeter(ref, s, lines));
    if (ref.meter.role === 'lineTotal' && ref.meter.line && ref.medium !== 'none') {
      const key = `${ref.meter.line}/${ref.medium}`;
      const e = shares.get(key) ?? { sum: 0, path: ref.path };
      e.sum += ref.meter.share;
      shares.set(key, e);
    }
  }
  for (const [key, { sum, path }] of shares) {
    if (Math.abs(sum - 1) > 1e-9)
      errors.push(
        `${path}/share: lineTotal ${key.split('/')[1]} shares of line '${key.split('/')[0]}' sum to ${sum}, not 1`,
      );
  }
  s.faults.forEach((f, i) => {
    if (f.target !== 'opcua' && !ids.has(f.target))
      errors.push(`/faults/${i}/target: no device or meter '${f.target}'`);
    if (f.target === 'opcua' && !s.opcua) errors.push(`/faults/${i}/target: the scenario has no opcua server`);
    if (f.code !== undefined && f.type !== 'exception') errors.push(`/faults/${i}/code: only for type exception`);
    if (f.every !== undefined && f.type !== 'crcError') errors.push(`/faults/${i}/every: only for type crcError`);
    const problem = faultTransportProblem(s, f.target, f.type);
    if (problem) errors.push(`/faults/${i}/type: ${problem}`);
  });
  return errors;
}

/** What each transport needs and refuses (every key given is used). */
function transportProblems(d: ModbusDevice, at: string): string[] {
  const errors: string[] = [];
  const t = d.transport;
  if (t === 'rtu') {
    if (d.host !== undefined) errors.push(`${at}/host: not used by transport rtu (the bus is serial.path)`);
    if (d.port !== undefined) errors.push(`${at}/port: not used by transport rtu (the bus is serial.path)`);
    if (d.serial?.path === undefined) errors.push(`${at}/serial: transport rtu needs serial.path and baudRate`);
    return errors;
  }
  if (d.port === undefined) errors.push(`${at}: transport ${t} needs port (0 = any free port)`);
  if (t === 'tcp' && d.serial !== undefined)
    errors.push(`${at}/serial: not used by transport tcp (serial settings apply to rtu and rtuOverTcp)`);
  if (t === 'rtuOverTcp' && d.serial === undefined)
    errors.push(`${at}: transport rtuOverTcp needs serial (the line that paces replies)`);
  if (t === 'rtuOverTcp' && d.serial?.path !== undefined)
    errors.push(`${at}/serial/path: not used by transport rtuOverTcp (it listens on port)`);
  return errors;
}

/**
 * Why a fault of `type` cannot apply to `target` (a device id or a Modbus meter id), or null: a CRC fault needs
 * RTU framing, and a serial bus has no connection to drop.
 */
export function faultTransportProblem(s: Scenario, target: string, type: FaultType): string | null {
  const device = s.modbus.devices.find((d) => d.id === target || d.meters.some((m) => m.id === target));
  if (type === 'crcError' && device?.transport !== 'rtu' && device?.transport !== 'rtuOverTcp')
    return `crcError needs an RTU device or a meter on one ('${target}' is not; Modbus TCP has no CRC)`;
  if (type === 'disconnect' && device?.transport === 'rtu')
    return `a serial bus has no connection to drop ('${target}' is on one); use noReply or restart`;
  return null;
}

function checkMeter(
  ref: MeterRef,
  s: Scenario,
  lines: Map<string, { site: string; gas: boolean; peakKw: number; peakGas: number }>,
): string[] {
  const { meter: m, path } = ref;
  const errors: string[] = [];
  const line = m.line ? lines.get(m.line) : undefined;
  if (m.line && !line) errors.push(`${path}/line: no line '${m.line}'`);
  if (!m.line && m.role !== 'baseload') errors.push(`${path}/line: required for role ${m.role}`);
  if (m.site && !s.sites.some((x) => x.id === m.site)) errors.push(`${path}/site: no site '${m.site}'`);
  if (m.role === 'baseload' && !m.site && !line && s.sites.length > 1)
    errors.push(`${path}/site: required for a baseload meter when there are several sites`);
  if (m.role === 'baseload' && ref.medium === 'gas')
    errors.push(`${path}/role: a gas meter cannot be a baseload meter`);
  if (ref.medium === 'gas' && line && !line.gas)
    errors.push(`${path}/line: line '${m.line}' has no gas consumption configured`);
  if (ref.profile) {
    const site = s.sites.find((x) => x.id === (m.site ?? line?.site)) ?? s.sites[0];
    const peak =
      ref.medium === 'gas'
        ? (line?.peakGas ?? 0)
        : m.role === 'baseload'
          ? (site?.baseloadKw ?? 0)
          : (line?.peakKw ?? 0);
    const limit = maxLoadPerHour(ref.profile, ref.medium);
    if (limit !== undefined && peak * m.share > limit) {
      errors.push(
        `${path}/share: peak load ${peak * m.share} per hour exceeds the ${ref.profile} counter's maxRatePerHour ${limit}`,
      );
    }
  }
  return errors;
}
