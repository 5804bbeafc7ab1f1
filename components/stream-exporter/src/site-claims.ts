import type { SiteClaim } from '@pcf-edge/core';
import type { StreamExporterConfig } from './config';

/** The Greengrass component name; also the name its site-model claims are published under. */
export const COMPONENT_NAME = 'com.pcfedge.StreamExporter';

/**
 * What the exporter's configuration says about the gateway (docs/adr/0220): its site and gateway id, which must
 * be the aggregator's (the batches it sends carry them beside the aggregator's rollups).
 */
export function siteClaimsOf(c: Readonly<StreamExporterConfig>): SiteClaim[] {
  return [
    { meterId: '', field: 'site', value: c.site, strength: 'given', place: '/site' },
    { meterId: '', field: 'gatewayId', value: c.gatewayId, strength: 'given', place: '/gatewayId' },
  ];
}
