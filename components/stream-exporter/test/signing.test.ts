import { statSync } from 'node:fs';
import { join } from 'node:path';
import { batchSigner, openSignedBatch, silentLogger, systemClock, validateRollupBatch } from '@pcf-edge/core';
import { createStreamManagerServer } from '@pcf-edge/stream-manager-sim';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import { createStreamExporter, createStreamManagerSink } from '../src';
import { signedBudget } from '../src/exporter';
import { loadOrCreateGatewayKey, parseGatewayKey } from '../src/signing-key';
import { enqueue, exporterConfig, makeRollups, openTestStore, tempDir } from './fixtures';

describe('gateway batch signing', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('creates the key on first start (mode 0600), then keeps using it', () => {
    const file = join(tmp.dir, 'keys', 'gateway-signing-key.json');
    const first = loadOrCreateGatewayKey(file, silentLogger());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateGatewayKey(file, silentLogger())).toEqual(first);
    expect(() => parseGatewayKey('{"kty":"OKP","crv":"Ed25519","x":"short"}', 'x')).toThrow(/private Ed25519 JWK/);
  });

  it('sends every message as a JWS signed with the gateway key, within the message size limit', async () => {
    const key = loadOrCreateGatewayKey(join(tmp.dir, 'k2.json'), silentLogger());
    const sm = createStreamManagerServer({ port: 0, dir: join(tmp.dir, 'sm') }, { log: silentLogger() });
    const { port } = await sm.start();
    const store = openTestStore(join(tmp.dir, 'g.sqlite'));
    const rollups = makeRollups(300);
    enqueue(store, rollups);
    const config = exporterConfig({ streamManager: { port }, maxRollupsPerMessage: 500, inFlight: 2 });
    const client = createStreamManagerClient({ port, env: {} });
    const maxMessageBytes = 40_000;
    const exporter = createStreamExporter(config, {
      store,
      sink: createStreamManagerSink(config, client),
      clock: systemClock,
      log: silentLogger(),
      signer: batchSigner(key),
      maxMessageBytes,
    });
    for (let i = 0; i < 30 && store.outboxStats(Date.now()).depth > 0; i++) await exporter.drainOnce();
    const msgs = await client.readMessages(config.streamName, {
      desiredStartSequenceNumber: 0n,
      maxMessageCount: 1000,
    });
    expect(msgs.length).toBeGreaterThan(1); // split to stay under the limit once signed
    const ids = new Set<string>();
    for (const m of msgs) {
      expect(m.payload.length).toBeLessThanOrEqual(maxMessageBytes);
      const opened = openSignedBatch(JSON.parse(m.payload.toString()));
      if (opened.signed !== true) throw new Error('message is not a signed batch');
      expect(opened.keyId).toBe(key.kid);
      expect(opened.verify(key.x)).toBe(true);
      expect(opened.payload.length).toBeLessThanOrEqual(signedBudget(maxMessageBytes));
      for (const r of validateRollupBatch(JSON.parse(opened.payload.toString())).rollups) ids.add(r.id);
    }
    expect(ids).toEqual(new Set(rollups.map((r) => r.id)));
    client.close();
    store.close();
    await sm.stop();
  });
});
