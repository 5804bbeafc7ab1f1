import { pointField, twinsOf, type SiteClaim } from '@pcf-edge/core';
import { kindOf, type OpcUaCollectorConfig } from './config';

/** The Greengrass component name; also the name its site-model claims are published under. */
export const COMPONENT_NAME = 'com.pcfedge.OpcUaCollector';

/**
 * What this collector's configuration says about the site and its meters (docs/adr/0220): the site; per meter its
 * line and role; per counter point the modulus and maxRatePerHour it states and its twin (a second point of the
 * same quantity). A node's data type is not known before connecting, so no modulus is derived from it.
 */
export function siteClaimsOf(config: Readonly<OpcUaCollectorConfig>): SiteClaim[] {
  const out: SiteClaim[] = [{ meterId: '', field: 'site', value: config.site, strength: 'given', place: '/site' }];
  config.meters.forEach((m, i) => {
    const at = `/meters/${i}`;
    out.push({ meterId: m.id, field: 'line', value: m.line, strength: 'given', place: `${at}/line` });
    if (m.role !== undefined)
      out.push({ meterId: m.id, field: 'role', value: m.role, strength: 'given', place: `${at}/role` });
    const twins = twinsOf(m.points.map((p) => ({ name: p.name, quantity: p.quantity, kind: kindOf(p) })));
    m.points.forEach((p, j) => {
      if (kindOf(p) !== 'counter') return;
      for (const setting of ['modulus', 'maxRatePerHour'] as const) {
        const value = p[setting];
        if (value !== undefined)
          out.push({
            meterId: m.id,
            field: pointField(p.name, setting),
            value,
            strength: 'given',
            place: `${at}/points/${j}/${setting}`,
          });
      }
      const twin = twins.get(p.name);
      if (twin !== undefined)
        out.push({
          meterId: m.id,
          field: pointField(p.name, 'twinOf'),
          value: twin,
          strength: 'default',
          place: `${at}/points/${j} (after ${twin})`,
        });
    });
  });
  return out;
}
