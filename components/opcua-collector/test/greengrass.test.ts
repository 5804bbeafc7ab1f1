import { join } from 'node:path';
import { RESTART_EXIT_CODE } from '@pcf-edge/greengrass-ipc';
import { useComponentUnderNucleus } from '../../../test-support/greengrass-ipc-server/component-harness';
import { until } from '../../../test-support/standalone/processes';

/**
 * The collector as a real process (tsx main.ts) under the Greengrass IPC test server: configuration from the
 * nucleus, RUNNING, a live change, a rejected update, a restart-only change. No OPC UA server is needed: the
 * endpoint connects in the background (the zip test in scripts/build covers reading a simulated meter).
 */
jest.setTimeout(180_000);
const COMPONENT = 'com.pcfedge.OpcUaCollector';
const gg = useComponentUnderNucleus({
  component: COMPONENT,
  token: 'opcua-token',
  main: 'components/opcua-collector/src/main.ts',
  tmpPrefix: 'opcua-gg-',
  serverPer: 'file',
});

it('runs on the nucleus configuration, applies a live change, rejects a bad update, restarts on a restart-only change', async () => {
  const { tmp, server } = gg;
  const store = gg.storePath();
  server.setConfiguration(COMPONENT, {
    storePath: store,
    site: 'plant-1',
    endpoints: [
      {
        id: 'plc-1',
        url: 'opc.tcp://127.0.0.1:1/none',
        pkiDir: join(tmp, 'pki'),
        retry: { initialDelayMs: 1000, maxDelayMs: 5000 },
      },
    ],
    meters: [],
  });
  const p = gg.start(store);
  await until('RUNNING', () => server.states.length > 0, 120_000, p.stderr);
  expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);

  server.updateConfiguration(COMPONENT, ['healthIntervalMs'], 2000);
  await until('the live change', () => p.stderr().includes('configuration change applied live'), 30_000, p.stderr);

  server.updateConfiguration(COMPONENT, ['queueSize'], 0);
  await until('the rejection logged', () => p.stderr().includes('/queueSize'), 30_000, p.stderr);
  expect(p.child.exitCode).toBeNull();

  // The invalid value stays in the nucleus until a deployment fixes it; then a restart-only change exits 75.
  server.updateConfiguration(COMPONENT, ['queueSize'], 10);
  server.updateConfiguration(COMPONENT, ['batch'], { maxBatch: 100, maxDelayMs: 100 });
  expect(await p.exited()).toBe(RESTART_EXIT_CODE);
  expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);
});
