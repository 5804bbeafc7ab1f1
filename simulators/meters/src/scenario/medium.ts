import { getProfile, type MeterProfile } from '@pcf-edge/profiles';
import type { OpcuaMeterType } from './types';

/** What flows through a meter: decides which load series drives its counters. */
export type Medium = 'electricity' | 'gas' | 'none';

export function profileMedium(p: MeterProfile): Medium {
  return p.points.some((x) => x.quantity === 'gasVolume') ? 'gas' : 'electricity';
}

export function opcuaMedium(type: OpcuaMeterType): Medium {
  switch (type) {
    case 'electricity':
      return 'electricity';
    case 'gas':
      return 'gas';
    case 'lineCounter':
    case 'machineState':
      return 'none';
  }
}

/** Smallest maxRatePerHour among the profile's counters of the medium's main quantity. */
export function maxLoadPerHour(profileName: string, medium: Medium): number | undefined {
  const q = medium === 'gas' ? 'gasVolume' : 'activeEnergyImport';
  const rates = getProfile(profileName)
    .points.filter((p) => p.quantity === q && p.maxRatePerHour !== undefined)
    .map((p) => p.maxRatePerHour as number);
  return rates.length ? Math.min(...rates) : undefined;
}
