import { PcfError, deepFreeze } from '@pcf-edge/core';
import type { MeterProfile } from '../types';
import { abbB23 } from './abb';
import { carloGavazziEm24 } from './carlo-gavazzi';
import { eastronSdm630 } from './eastron';
import { gasPulseCounter, gasPulseCounter32 } from './gas';
import { schneiderIem3000, schneiderPm5xxx } from './schneider';

/** Every shipped meter profile by name. Frozen: profiles are shared data. */
export const PROFILES: Readonly<Record<string, MeterProfile>> = deepFreeze(
  Object.fromEntries(
    [
      eastronSdm630,
      carloGavazziEm24,
      schneiderPm5xxx,
      schneiderIem3000,
      abbB23,
      gasPulseCounter,
      gasPulseCounter32,
    ].map((p) => [p.name, p]),
  ),
);

/** The profile called `name`; ERR_PROFILE_UNKNOWN naming the known profiles otherwise. */
export function getProfile(name: string): MeterProfile {
  const p = Object.prototype.hasOwnProperty.call(PROFILES, name) ? PROFILES[name] : undefined;
  if (!p) {
    const known = Object.keys(PROFILES).join(', ');
    throw new PcfError('ERR_PROFILE_UNKNOWN', `unknown meter profile '${name}' (known: ${known})`, {
      name,
      known: Object.keys(PROFILES),
    });
  }
  return p;
}
