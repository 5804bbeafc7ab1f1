import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { batchSigner, makeRollupBatch, newGatewayKey, silentLogger, type GatewayJwk } from '@pcf-edge/core';
import { startLocalKinesis, type LocalKinesis } from '../../test-support/kinesis';
import { createKinesisConsumer } from '../src/ingest/poller';
import { openSecurityStore, type SecurityStore } from '../src/store/security-store';
import { lineRollup, tempDb, type TempDb } from './helpers';

const batch = (gatewayId: string, site: string, line: string, hour: number, revision = 1, kWh = 10) =>
  makeRollupBatch(
    gatewayId,
    site,
    [0, 15, 30, 45].map((m) => ({
      ...lineRollup(
        line,
        `2026-01-01T${String(hour).padStart(2, '0')}:${String(m).padStart(2, '0')}:00.000Z`,
        revision,
        kWh,
      ),
      site,
    })),
    new Date('2026-01-01T12:00:00Z'),
  );
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
const signed = (key: GatewayJwk, v: unknown) => batchSigner(key).sign(bytes(v));

/** Authenticated ingest through the local shard poller against kinesalite: what a forger or a replayer gets. */
describe('signed rollup batches', () => {
  let k: LocalKinesis;
  let t: TempDb;
  let security: SecurityStore;
  const gw1 = newGatewayKey();
  const gw2 = newGatewayKey();
  beforeAll(async () => {
    k = await startLocalKinesis({ shards: 1, streams: ['s1', 's2', 's3'] });
  });
  afterAll(async () => {
    await k.stop();
  });
  let stream = '';
  let n = 0;
  beforeEach(async () => {
    stream = `s${++n}`; // a stream per test: each starts with an empty database (no checkpoint)
    t = tempDb();
    security = openSecurityStore(t.repo);
    await security.addGatewayKey({ keyId: gw1.kid, gatewayId: 'gw-1', publicKey: gw1.x, sites: ['plant-1'] });
    await security.addGatewayKey({ keyId: gw2.kid, gatewayId: 'gw-2', publicKey: gw2.x, sites: ['plant-2'] });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const put = async (datas: Buffer[]) => {
    const res = await k.client.send(
      new PutRecordsCommand({ StreamName: stream, Records: datas.map((Data) => ({ Data, PartitionKey: 'pk' })) }),
    );
    expect(res.FailedRecordCount ?? 0).toBe(0);
  };
  const consume = async () => {
    const c = createKinesisConsumer(
      { stream, endpoint: k.endpoint, pollIntervalMs: 50, recordsPerRead: 1000, retryDelayMs: 50, stopWhenIdle: true },
      { repo: t.repo, log: silentLogger() },
    );
    await c.start();
    await c.done();
    await c.stop();
    return c.stats;
  };
  const reasons = async () => (await t.repo.listDeadLetters()).map((d) => d.reason);

  it('dead-letters unsigned, forged-site, unknown-key, wrong-gateway and tampered batches with their reason; the shard continues', async () => {
    const stranger = newGatewayKey();
    const good = batch('gw-1', 'plant-1', 'line-1', 0);
    const tampered = JSON.parse(signed(gw1, batch('gw-1', 'plant-1', 'line-1', 3)).toString()) as { payload: string };
    tampered.payload = bytes({ ...batch('gw-1', 'plant-1', 'line-1', 3, 1, 999) }).toString('base64url');
    await put([
      bytes(batch('gw-1', 'plant-1', 'line-1', 1)), // unsigned
      signed(gw1, batch('gw-1', 'plant-2', 'line-9', 1)), // gw-1 reporting plant-2: forged site
      signed(gw1, {
        ...batch('gw-1', 'plant-1', 'line-1', 2),
        rollups: [{ ...lineRollup('line-9', '2026-01-01T02:00:00.000Z', 1, 10), site: 'plant-2' }],
      }),
      signed(stranger, batch('gw-1', 'plant-1', 'line-1', 2)), // unknown key
      signed(gw2, batch('gw-1', 'plant-2', 'line-2', 1)), // gw-2's key naming gw-1
      bytes(tampered), // payload changed after signing
      signed(gw1, good), // and the shard goes on
    ]);
    const stats = await consume();
    expect(stats).toMatchObject({ records: 7, deadLetters: 6, rollups: 4, errors: 0 });
    expect(await reasons()).toEqual([
      'unsigned batch: every batch must be signed by its gateway key',
      'gateway gw-1 may not report site plant-2',
      'gateway gw-1 may not report site plant-2',
      `signed by an unknown key '${stranger.kid}'`,
      "batch names gateway gw-1 but is signed by gateway gw-2's key",
      `signature does not verify with key '${gw1.kid}'`,
    ]);
    expect(await t.repo.countRollups()).toBe(4);
    expect((await t.repo.getRollups([good.rollups[0]!.id]))[0]).toMatchObject({
      revision: 1,
      electricityMicroKWh: 10_000_000,
    });
  });

  it('a replayed batch changes nothing, also after a newer revision', async () => {
    const v1 = batch('gw-1', 'plant-1', 'line-1', 5, 1, 10);
    const v2 = batch('gw-1', 'plant-1', 'line-1', 5, 2, 12);
    await put([signed(gw1, v1), signed(gw1, v2)]);
    await consume();
    const before = await t.repo.getRollups(v1.rollups.map((r) => r.id));
    await put([signed(gw1, v1), signed(gw1, v2), signed(gw1, v1)]);
    expect(await consume()).toMatchObject({ records: 3, deadLetters: 0 });
    expect(await t.repo.getRollups(v1.rollups.map((r) => r.id))).toEqual(before);
    expect(before.every((r) => r.revision === 2 && r.electricityMicroKWh === 12_000_000)).toBe(true);
  });

  it('rotates a gateway key without losing batches in flight, then refuses the retired key', async () => {
    const next = newGatewayKey();
    // batches signed with the old key are still in the stream (not consumed) when the gateway switches keys
    const inFlight = [batch('gw-1', 'plant-1', 'line-1', 6), batch('gw-1', 'plant-1', 'line-1', 7)];
    await put(inFlight.map((b) => signed(gw1, b)));
    // rotation: the new public key is registered first, then the gateway signs with it
    await security.addGatewayKey({ keyId: next.kid, gatewayId: 'gw-1', publicKey: next.x, sites: ['plant-1'] });
    const after = batch('gw-1', 'plant-1', 'line-1', 8);
    await put([signed(next, after)]);
    expect(await consume()).toMatchObject({ records: 3, rollups: 12, deadLetters: 0 });
    // once the old key's batches are drained it is retired: anything still signed with it is refused
    expect(await security.retireGatewayKey(gw1.kid)).toBe(true);
    const late = batch('gw-1', 'plant-1', 'line-1', 9);
    await put([signed(gw1, late), signed(next, batch('gw-1', 'plant-1', 'line-1', 10))]);
    // a fresh consumer reads the key's state from the database (keys are cached for 30 s per consumer)
    expect(await consume()).toMatchObject({ records: 2, rollups: 4, deadLetters: 1 });
    expect(await reasons()).toEqual([`signed by retired key '${gw1.kid}' of gateway gw-1`]);
    expect(await t.repo.getRollups(late.rollups.map((r) => r.id))).toEqual([]);
  });
});
