import { pointField, SiteModel, type SiteClaim } from '@pcf-edge/core';
import { getProfile, registerMapClaims } from '@pcf-edge/profiles';
import type { AggregatorConfig, MeterConfig } from './config';

/** The Greengrass component name; also the name its site-model claims are published under. */
export const COMPONENT_NAME = 'com.pcfedge.LineAggregator';

const given = (meterId: string, field: string, value: string | number | null, place: string): SiteClaim => ({
  meterId,
  field,
  value,
  strength: 'given',
  place,
});

function meterClaims(m: MeterConfig, at: string): SiteClaim[] {
  const out: SiteClaim[] = [];
  if (m.line !== undefined) out.push(given(m.id, 'line', m.line, `${at}/line`));
  if (m.role !== undefined) out.push(given(m.id, 'role', m.role, `${at}/role`));
  if (m.profile !== undefined) {
    out.push(given(m.id, 'profile', m.profile, `${at}/profile`));
    const points = getProfile(m.profile).points;
    out.push(
      ...registerMapClaims(m.id, points, (j) => `${at}/profile (${m.profile}, point ${points[j]?.name})`, false),
    );
  }
  for (const [name, o] of Object.entries(m.points)) {
    for (const setting of ['modulus', 'maxRatePerHour'] as const) {
      const value = o[setting];
      if (value === undefined) continue;
      const claim = given(m.id, pointField(name, setting), value, `${at}/points/${name}/${setting}`);
      const i = out.findIndex((c) => c.field === claim.field);
      if (i >= 0) out[i] = claim;
      else out.push(claim);
    }
  }
  return out;
}

/**
 * What the aggregator's configuration says about the site and its meters (docs/adr/0220): the site and gateway
 * id, and whatever a meter entry states of line, role, profile, modulus and maxRatePerHour (an older
 * configuration's description of the meter; the collector's is normally the only one). Call on a validated config.
 */
export function siteClaimsOf(c: Readonly<AggregatorConfig>): SiteClaim[] {
  const out: SiteClaim[] = [given('', 'site', c.site, '/site'), given('', 'gatewayId', c.gatewayId, '/gatewayId')];
  c.meters.forEach((m, i) => out.push(...meterClaims(m, `/meters/${i}`)));
  return out;
}

/** The site model this configuration alone describes (no other component's claims), e.g. for tests. */
export function ownSiteModel(c: Readonly<AggregatorConfig>, source = 'configuration'): SiteModel {
  return new SiteModel(
    siteClaimsOf(c).map((claim) => ({ ...claim, component: COMPONENT_NAME, source })),
    0,
  );
}
