import type { Quantity } from '@pcf-edge/core';
import type { Medium } from '../scenario/medium';
import type { MeterRole } from '../scenario/types';
import { machineStateCode, type LineModel } from './line';
import { signedUnit } from './random';
import type { CycleSeries } from './series';

/** Nominal phase voltage, V. */
const NOMINAL_V = 230;

/**
 * The physics of one meter: consumption since scenario start and instantaneous values, pure functions of
 * simulated time. Counter events and transport faults are applied on top by render.ts and the servers.
 */
export interface MeterModel {
  id: string;
  site: string;
  line: LineModel | undefined;
  role: MeterRole;
  medium: Medium;
  share: number;
  /** Counter values at startTime, canonical units. */
  initial: Partial<Record<Quantity, number>>;
  serial: string;
  /** Ids a fault may name to hit this meter: its own and its device's (and `opcua` for OPC UA meters). */
  faultTargets: string[];
  /** Consumption since start in the quantity's canonical unit (0 for counters this meter does not drive). */
  consumption(q: Quantity, t: number): number;
  /** Instantaneous value of a gauge quantity; `pointName` varies voltages per phase. */
  gauge(q: Quantity, pointName: string, t: number): number;
}

export interface MeterSpec {
  id: string;
  site: string;
  line: LineModel | undefined;
  role: MeterRole;
  medium: Medium;
  share: number;
  initial: Partial<Record<Quantity, number>>;
  serial: string | undefined;
  faultTargets: string[];
}

export function createMeterModel(spec: MeterSpec, baseload: CycleSeries, seed: number): MeterModel {
  const load: CycleSeries | undefined =
    spec.medium === 'gas'
      ? spec.line?.gas
      : spec.medium === 'electricity'
        ? spec.role === 'baseload'
          ? baseload
          : spec.line?.power
        : undefined;
  const voltage = (name: string, t: number): number =>
    NOMINAL_V + 3 * signedUnit(seed, spec.id, name, Math.floor(t / 60_000));
  const power = (t: number): number => (spec.medium === 'electricity' && load ? spec.share * load.valueAt(t) : 0);
  return {
    ...spec,
    serial: spec.serial ?? `SIM-${spec.id}`,
    consumption(q, t) {
      switch (q) {
        case 'activeEnergyImport':
          return spec.medium === 'electricity' && load ? spec.share * load.integral(t) : 0;
        case 'gasVolume':
          return spec.medium === 'gas' && load ? spec.share * load.integral(t) : 0;
        case 'unitsProduced':
          return spec.line ? spec.line.unitsAt(t).good : 0;
        case 'unitsScrapped':
          return spec.line ? spec.line.unitsAt(t).scrap : 0;
        case 'activeEnergyExport':
        case 'gasEnergy':
        case 'activePower':
        case 'voltage':
        case 'current':
        case 'gasFlow':
        case 'machineState':
          return 0;
      }
    },
    gauge(q, name, t) {
      switch (q) {
        case 'activePower':
          return power(t);
        case 'voltage':
          return voltage(name, t);
        case 'current':
          return (power(t) * 1000) / (3 * NOMINAL_V);
        case 'gasFlow':
          return spec.medium === 'gas' && load ? spec.share * load.valueAt(t) : 0;
        case 'machineState':
          return spec.line ? machineStateCode(spec.line.stateAt(t)) : 0;
        case 'activeEnergyImport':
        case 'activeEnergyExport':
        case 'gasVolume':
        case 'gasEnergy':
        case 'unitsProduced':
        case 'unitsScrapped':
          return this.consumption(q, t) + (spec.initial[q] ?? 0);
      }
    },
  };
}
