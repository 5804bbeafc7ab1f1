import { newGatewayKey, openSignedBatch, silentLogger } from '@pcf-edge/core';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import { createStreamManagerServer, type StreamManagerServer } from '@pcf-edge/stream-manager-sim';
import { join } from 'node:path';
import { useComponentUnderNucleus } from '../../../test-support/greengrass-ipc-server/component-harness';
import { until } from '../../../test-support/standalone/processes';
import { enqueue, makeRollups, openTestStore } from './fixtures';

/**
 * The exporter as a real process (tsx main.ts) under the Greengrass IPC test server: it finds Stream Manager's
 * port in Stream Manager's configuration over IPC, drains the outbox, applies a live change, rejects a bad update.
 */
jest.setTimeout(180_000);
const COMPONENT = 'com.pcfedge.StreamExporter';
const TOKEN = 'exporter-token';

const gg = useComponentUnderNucleus({
  component: COMPONENT,
  token: TOKEN,
  main: 'components/stream-exporter/src/main.ts',
  tmpPrefix: 'exporter-gg-',
});
let sm: StreamManagerServer | undefined;

afterEach(async () => {
  await sm?.stop();
  sm = undefined;
});

it('uses the Stream Manager port from IPC, drains the outbox, applies a live change and rejects a bad update', async () => {
  const { tmp, server } = gg;
  sm = createStreamManagerServer({ port: 0, dir: join(tmp, 'sm') }, { log: silentLogger() });
  const { port } = await sm.start();
  server.setConfiguration('aws.greengrass.StreamManager', { port: String(port) });

  const store = gg.storePath();
  const s = openTestStore(store);
  enqueue(s, makeRollups(20));
  const pending = (): number => s.pendingOutbox(1000).length;
  server.setConfiguration(COMPONENT, { storePath: store, site: 'plant1', gatewayId: 'gw-1', pollIntervalMs: 100 });
  const p = gg.start(store);
  try {
    await until('RUNNING', () => server.states.length > 0, 90_000, p.stderr);
    expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);
    await until('outbox drained', () => pending() === 0, 60_000, p.stderr);
    expect(p.stderr()).toContain(`"port":${port}`);

    server.updateConfiguration(COMPONENT, ['maxRollupsPerMessage'], 5);
    await until('the live change', () => p.stderr().includes('stream exporter reconfigured'), 30_000, p.stderr);
    enqueue(s, makeRollups(10, { start: 100 }));
    await until('new rows drained after the live change', () => pending() === 0, 60_000, p.stderr);

    server.updateConfiguration(COMPONENT, ['inFlight'], 0);
    await until('the rejection logged', () => p.stderr().includes('/inFlight'), 30_000, p.stderr);
    expect(p.child.exitCode).toBeNull();
    expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);

    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
    expect(p.stderr()).toMatch(new RegExp(`"status":\\{.*"msg":"${COMPONENT} stopped"`));
    expect(p.stderr()).not.toContain(TOKEN);
  } finally {
    s.close();
  }
});

it('signs with the key the secret manager delivers over IPC, and never logs its private part', async () => {
  const { tmp, server } = gg;
  sm = createStreamManagerServer({ port: 0, dir: join(tmp, 'sm2') }, { log: silentLogger() });
  const { port } = await sm.start();
  const key = newGatewayKey();
  const arn = 'arn:aws:secretsmanager:eu-west-2:1:secret:gw-1-key';
  server.setSecret(arn, { secretString: JSON.stringify(key) });
  const store = gg.storePath('greengrass2');
  const s = openTestStore(store);
  enqueue(s, makeRollups(15));
  server.setConfiguration(COMPONENT, {
    storePath: store,
    site: 'plant1',
    gatewayId: 'gw-1',
    pollIntervalMs: 100,
    streamManager: { port },
    signing: { secretId: arn },
    // the recipe's accessControl, as the nucleus adds it to the configuration (GetSecretValue is authorised by it)
    accessControl: {
      'aws.greengrass.SecretManager': {
        'com.pcfedge.StreamExporter:secrets:1': { operations: ['aws.greengrass#GetSecretValue'], resources: [arn] },
      },
    },
  });
  const p = gg.start(store);
  try {
    await until('outbox drained', () => s.pendingOutbox(1000).length === 0, 90_000, p.stderr);
    const client = createStreamManagerClient({ port, env: {} });
    const msgs = await client.readMessages('pcf-edge-rollups', {
      desiredStartSequenceNumber: 0n,
      maxMessageCount: 100,
    });
    client.close();
    expect(msgs.length).toBeGreaterThan(0);
    for (const m of msgs) {
      const opened = openSignedBatch(JSON.parse(m.payload.toString()));
      expect(opened.signed === true && opened.keyId === key.kid && opened.verify(key.x)).toBe(true);
    }
    expect(p.stderr()).toContain(key.x);
    expect(p.stderr()).not.toContain(key.d);
    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
  } finally {
    s.close();
  }
});
