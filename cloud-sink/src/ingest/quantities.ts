import { PcfError, type Rollup } from '@pcf-edge/core';
import { fromMicro, MAX_MICRO, toMicro } from '@pcf-edge/pcf-engine';
import type { DecodedRollup } from '../store/repository';

/**
 * Decodes a rollup's energy and volume into the exact integer micro-units the store keeps (`toMicro`: the decimal the
 * JSON number denotes, rounded half-up to 6 decimals). This is the one place rollup values enter the cloud's
 * arithmetic. A value that does not fit (above 9,007,199,254.740991 kWh or m³ in one window) is ERR_RECORD_INVALID
 * naming the rollup and the field; meter rollups carry none of these values.
 */
export function decodeRollup(r: Rollup, at = 0): DecodedRollup {
  const field = (name: string, value: number): number => {
    const micro = toMicro(value);
    if (micro !== undefined) return micro;
    throw new PcfError(
      'ERR_RECORD_INVALID',
      `rollup ${at} (${r.id}): ${name} = ${value} does not fit integer micro-units (0 to ${fromMicro(MAX_MICRO).toString()})`,
      { rollup: r.id, index: at, field: name },
    );
  };
  if (r.type === 'line')
    return {
      rollup: r,
      electricityMicroKWh: field('electricityKWh', r.electricityKWh),
      gasMicroM3: field('gasM3', r.gasM3),
      gasMicroKWh: field('gasKWh', r.gasKWh),
      baseloadMicroKWh: null,
    };
  if (r.type === 'site')
    return {
      rollup: r,
      electricityMicroKWh: field('electricityKWh', r.electricityKWh),
      gasMicroM3: field('gasM3', r.gasM3),
      gasMicroKWh: field('gasKWh', r.gasKWh),
      baseloadMicroKWh: field('baseloadKWh', r.baseloadKWh),
    };
  return { rollup: r, electricityMicroKWh: null, gasMicroM3: null, gasMicroKWh: null, baseloadMicroKWh: null };
}

/** Every rollup decoded (`decodeRollup`); the first that does not fit throws. */
export function decodeRollups(rollups: readonly Rollup[]): DecodedRollup[] {
  return rollups.map((r, i) => decodeRollup(r, i));
}
