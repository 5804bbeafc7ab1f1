import { silentLogger } from '@pcf-edge/core';
import { createStreamManagerServer, type StreamManagerServer } from '@pcf-edge/stream-manager-sim';
import { join, resolve } from 'node:path';
import { createIpcTestServer, type IpcTestServer } from '../../../test-support/greengrass-ipc-server/server';
import { runNode, until, type RunningProcess } from '../../../test-support/standalone/processes';
import { enqueue, makeRollups, openTestStore, tempDir } from './fixtures';

/**
 * The exporter as a real process (tsx main.ts) under the Greengrass IPC test server: it finds Stream Manager's
 * port in Stream Manager's configuration over IPC, drains the outbox, applies a live change, rejects a bad update.
 */
jest.setTimeout(180_000);
const ROOT = resolve(__dirname, '../../..');
const COMPONENT = 'com.pcfedge.StreamExporter';
const TOKEN = 'exporter-token';

let server: IpcTestServer;
let sm: StreamManagerServer;
let proc: RunningProcess | undefined;
const tmp = tempDir();

afterAll(async () => {
  proc?.kill();
  await server?.stop();
  await sm?.stop();
  tmp.remove();
});

it('uses the Stream Manager port from IPC, drains the outbox, applies a live change and rejects a bad update', async () => {
  sm = createStreamManagerServer({ port: 0, dir: join(tmp.dir, 'sm') }, { log: silentLogger() });
  const { port } = await sm.start();
  server = createIpcTestServer({ tokens: { [TOKEN]: COMPONENT } });
  await server.start();
  server.setConfiguration('aws.greengrass.StreamManager', { port: String(port) });

  const store = join(tmp.dir, 'gateway.sqlite');
  const s = openTestStore(store);
  enqueue(s, makeRollups(20));
  const pending = (): number => s.pendingOutbox(1000).length;
  server.setConfiguration(COMPONENT, { storePath: store, site: 'plant1', gatewayId: 'gw-1', pollIntervalMs: 100 });
  const p = runNode(['--import', 'tsx', join(ROOT, 'components/stream-exporter/src/main.ts'), '--store', store], ROOT, { ...server.envFor(TOKEN), HOME: tmp.dir });
  proc = p;
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
  } finally {
    s.close();
  }
});
