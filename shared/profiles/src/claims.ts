import { pointField, twinsOf, type SiteClaim } from '@pcf-edge/core';
import { defaultModulus } from './point';
import type { PointDefinition } from './types';

/**
 * The site-model claims of a meter's register map (docs/adr/0220), per counter point: its modulus, its
 * maxRatePerHour and, for a second register of the same quantity, `twinOf`. `placeOf(i)` is where point i is
 * described. With `given` the points were written by the user (inline points): a modulus or maximum rate they
 * state is `given`, the register type's wrap (2^bits × scale) a `default`. Without it they come from a profile and
 * every value is a `default`.
 */
export function registerMapClaims(
  meterId: string,
  points: readonly PointDefinition[],
  placeOf: (i: number) => string,
  given: boolean,
): SiteClaim[] {
  const twins = twinsOf(points);
  const out: SiteClaim[] = [];
  const claim = (p: PointDefinition, setting: 'modulus' | 'maxRatePerHour' | 'twinOf', value: number | string) =>
    ({ meterId, field: pointField(p.name, setting), value }) as const;
  points.forEach((p, i) => {
    if (p.kind !== 'counter') return;
    const at = placeOf(i);
    const strength = given ? 'given' : 'default';
    const wrap = defaultModulus(p);
    if (p.modulus !== undefined)
      out.push({ ...claim(p, 'modulus', p.modulus), strength, place: given ? `${at}/modulus` : at });
    else if (wrap !== undefined)
      out.push({
        ...claim(p, 'modulus', wrap),
        strength: 'default',
        place: given ? `${at}/type (${p.type} × ${p.scale})` : at,
      });
    if (p.maxRatePerHour !== undefined)
      out.push({
        ...claim(p, 'maxRatePerHour', p.maxRatePerHour),
        strength,
        place: given ? `${at}/maxRatePerHour` : at,
      });
    const twin = twins.get(p.name);
    if (twin !== undefined)
      out.push({ ...claim(p, 'twinOf', twin), strength: 'default', place: `${at} (after ${twin})` });
  });
  return out;
}
