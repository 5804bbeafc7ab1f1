import { silentLogger } from '@pcf-edge/core';
import { openSecurityStore } from '@pcf-edge/cloud-sink';
import { openRepository, type StoreLocation } from '../../cloud-sink/src/store/open';
import { loadOrCreateGatewayKey } from '../../components/stream-exporter/src/signing-key';

/**
 * What an operator does once per gateway, for the local stacks: the gateway's signing key is created (as the
 * exporter would on first start) and its public key registered in the cloud database with the gateway's site, so
 * the consumer accepts the batches it signs. Idempotent: a key registered already is left as it is.
 */
export async function provisionGatewayKey(o: {
  keyFile: string;
  store: StoreLocation;
  gatewayId: string;
  site: string;
}) {
  const key = loadOrCreateGatewayKey(o.keyFile, silentLogger());
  const repo = await openRepository(o.store);
  try {
    const security = openSecurityStore(repo);
    if (!(await security.getGatewayKey(key.kid)))
      await security.addGatewayKey({ keyId: key.kid, gatewayId: o.gatewayId, publicKey: key.x, sites: [o.site] });
  } finally {
    await repo.close();
  }
}
