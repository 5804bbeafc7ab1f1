import { pointField, type SiteClaim } from '@pcf-edge/core';
import { getProfile, registerMapClaims } from '@pcf-edge/profiles';
import { meterPoints, type CollectorConfig, type MeterConfig } from './config';

/** The Greengrass component name; also the name its site-model claims are published under. */
export const COMPONENT_NAME = 'com.pcfedge.ModbusCollector';

const given = (meterId: string, field: string, value: string, place: string): SiteClaim => ({
  meterId,
  field,
  value,
  strength: 'given',
  place,
});

/** A profile meter's register-map claims with its `overrides` in place of the profile's values. */
function profileClaims(m: MeterConfig & { profile: string }, at: string): SiteClaim[] {
  const points = getProfile(m.profile).points;
  const claims = registerMapClaims(
    m.id,
    points,
    (j) => `${at}/profile (${m.profile}, point ${points[j]?.name})`,
    false,
  );
  for (const [name, o] of Object.entries(m.overrides ?? {})) {
    for (const setting of ['modulus', 'maxRatePerHour'] as const) {
      const value = o[setting];
      if (value === undefined) continue;
      const field = pointField(name, setting);
      const claim: SiteClaim = {
        meterId: m.id,
        field,
        value,
        strength: 'given',
        place: `${at}/overrides/${name}/${setting}`,
      };
      const i = claims.findIndex((c) => c.field === field);
      if (i >= 0) claims[i] = claim;
      else claims.push(claim);
    }
  }
  return claims;
}

/**
 * What this collector's configuration says about the site and its meters (docs/adr/0220): the site; per meter its
 * line, role and profile; per counter point its modulus, maxRatePerHour and twin. Call on a validated config.
 */
export function siteClaimsOf(config: Readonly<CollectorConfig>): SiteClaim[] {
  const out: SiteClaim[] = [given('', 'site', config.site, '/site')];
  config.meters.forEach((m, i) => {
    const at = `/meters/${i}`;
    out.push(given(m.id, 'line', m.line, `${at}/line`));
    if (m.role !== undefined) out.push(given(m.id, 'role', m.role, `${at}/role`));
    if (m.profile !== undefined) {
      out.push(given(m.id, 'profile', m.profile, `${at}/profile`));
      out.push(...profileClaims({ ...m, profile: m.profile }, at));
    } else {
      out.push(...registerMapClaims(m.id, meterPoints(m), (j) => `${at}/points/${j}`, true));
    }
  });
  return out;
}
