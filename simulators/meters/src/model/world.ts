import { getProfile, type MeterProfile } from '@pcf-edge/profiles';
import { opcuaMedium, profileMedium } from '../scenario/medium';
import type { MeterCommon, OpcuaMeterType, Scenario } from '../scenario/types';
import { createBaseloadSeries, createLineModel, type LineModel } from './line';
import { createMeterModel, type MeterModel } from './meter';
import type { CycleSeries } from './series';

/** Everything simulated, built once from a validated scenario. */
export interface World {
  startMs: number;
  seed: number;
  lines: Map<string, LineModel>;
  baseloads: Map<string, CycleSeries>;
  meters: Map<string, MeterModel>;
  /** Modbus meters: their device and profile. */
  modbus: Map<string, { deviceId: string; unitId: number; profile: MeterProfile }>;
  /** OPC UA meters: their node set type. */
  opcuaTypes: Map<string, OpcuaMeterType>;
}

export function buildWorld(s: Scenario): World {
  const startMs = Date.parse(s.startTime);
  const lines = new Map<string, LineModel>();
  const baseloads = new Map<string, CycleSeries>();
  for (const site of s.sites) {
    baseloads.set(site.id, createBaseloadSeries(site, startMs, s.seed));
    for (const l of site.lines) lines.set(l.id, createLineModel(l, site, startMs, s.seed));
  }
  const meters = new Map<string, MeterModel>();
  const modbus = new Map<string, { deviceId: string; unitId: number; profile: MeterProfile }>();
  const add = (m: MeterCommon, medium: ReturnType<typeof profileMedium>, targets: string[]): void => {
    const line = m.line ? lines.get(m.line) : undefined;
    const site = m.site ?? line?.site ?? (s.sites[0] as { id: string }).id;
    const model = createMeterModel(
      {
        id: m.id,
        site,
        line,
        role: m.role,
        medium,
        share: m.share,
        initial: m.initial,
        serial: m.serial,
        faultTargets: [m.id, ...targets],
      },
      baseloads.get(site) as CycleSeries,
      s.seed,
    );
    meters.set(m.id, model);
  };
  for (const d of s.modbus.devices) {
    for (const m of d.meters) {
      const profile = getProfile(m.profile);
      add(m, profileMedium(profile), [d.id]);
      modbus.set(m.id, { deviceId: d.id, unitId: m.unitId, profile });
    }
  }
  const opcuaTypes = new Map<string, OpcuaMeterType>();
  for (const m of s.opcua?.meters ?? []) {
    add(m, opcuaMedium(m.type), ['opcua']);
    opcuaTypes.set(m.id, m.type);
  }
  return { startMs, seed: s.seed, lines, baseloads, meters, modbus, opcuaTypes };
}
