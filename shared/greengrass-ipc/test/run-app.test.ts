import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { createIpcTestServer, type IpcTestServer } from '../../../test-support/greengrass-ipc-server/server';
import { runGreengrassApp, STREAM_MANAGER_COMPONENT } from '../src';
import { type Cfg, schema, waitFor } from './helpers';

const COMPONENT = 'com.pcfedge.StreamExporter';
const TOKEN = 'app-token';

let server: IpcTestServer;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'run-app-'));
  server = createIpcTestServer({ tokens: { [TOKEN]: COMPONENT } });
  await server.start();
});

afterEach(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('starts the app with the connected IPC adapter before RUNNING, applies a live change, stops with its summary', async () => {
  server.setConfiguration(STREAM_MANAGER_COMPONENT, { port: '8123' });
  server.setConfiguration(COMPONENT, { site: 'plant-1', storePath: join(dir, 'data/gateway.sqlite') });
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  let signal = (): void => undefined;
  const applied: number[] = [];
  const stopped: Array<{ port: number; pollIntervalMs: number }> = [];
  const exitCode = runGreengrassApp<
    Cfg,
    { port: number; pollIntervalMs: number; storeFolder: boolean; statesAtStart: number }
  >({
    schema,
    componentName: COMPONENT,
    log,
    storeArg: undefined,
    env: server.envFor(TOKEN),
    until: () =>
      new Promise<void>((resolve) => {
        signal = resolve;
      }),
    start: async (config, storePath, greengrass) => ({
      port: await greengrass.streamManagerPort(),
      pollIntervalMs: config.pollIntervalMs,
      storeFolder: existsSync(dirname(storePath)),
      statesAtStart: server.states.length,
    }),
    apply: (app, config) => {
      app.pollIntervalMs = config.pollIntervalMs;
      applied.push(config.pollIntervalMs);
    },
    stop: (app) => {
      stopped.push({ port: app.port, pollIntervalMs: app.pollIntervalMs });
    },
    summary: (app) => ({ port: app.port, storeFolder: app.storeFolder, statesAtStart: app.statesAtStart }),
  });
  await waitFor(() => server.states.length === 1, 'the RUNNING report');
  expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);
  server.updateConfiguration(COMPONENT, ['pollIntervalMs'], 250);
  await waitFor(() => applied.length === 1, 'the live change');
  signal();
  expect(await exitCode).toBe(0);
  expect(stopped).toEqual([{ port: 8123, pollIntervalMs: 250 }]);
  expect(lines.find((l) => l.msg === `${COMPONENT} stopped`)).toMatchObject({
    port: 8123,
    storeFolder: true,
    statesAtStart: 0,
  });
});
