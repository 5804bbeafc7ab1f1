import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPcfError, silentLogger } from '@pcf-edge/core';
import pino from 'pino';
import { createIpcTestServer, type IpcTestServer } from '../../../test-support/greengrass-ipc-server/server';
import { type ConfigRunner, runWithConfig } from '../src';
import { type Cfg, schema, waitFor } from './helpers';

const COMPONENT = 'com.pcfedge.ModbusCollector';
const TOKEN = 'run-token';
const good = {
  site: 'plant-1',
  storePath: '/var/pcf/store.db',
  pollIntervalMs: 1000,
  meters: ['m1'],
  accessControl: { 'aws.greengrass.ipc.pubsub': {} },
};

let server: IpcTestServer;
let runner: ConfigRunner<Cfg> | undefined;
let dir: string;

function harness() {
  const applied: Array<{ config: Cfg; previous?: Cfg }> = [];
  const restarts: string[] = [];
  const exits: number[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return {
    applied,
    restarts,
    exits,
    lines,
    start: (configFile?: string, env = server.envFor(TOKEN)) =>
      runWithConfig<Cfg>({
        schema,
        componentName: COMPONENT,
        log,
        env,
        ...(configFile ? { configFile } : {}),
        onConfig: (config, change) => {
          applied.push({ config: config as Cfg, ...(change.previous ? { previous: change.previous as Cfg } : {}) });
        },
        requestRestart: (reason) => restarts.push(reason),
        exit: (code) => exits.push(code),
      }),
  };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'run-with-config-'));
  server = createIpcTestServer({ tokens: { [TOKEN]: COMPONENT } });
  await server.start();
  server.setConfiguration(COMPONENT, good);
});

afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('runWithConfig under Greengrass', () => {
  it('subscribes before the first GetConfiguration, applies the configuration, then reports RUNNING', async () => {
    const h = harness();
    runner = await h.start();
    expect(server.stats.operations).toEqual([
      'aws.greengrass#SubscribeToConfigurationUpdate',
      'aws.greengrass#SubscribeToValidateConfigurationUpdates',
      'aws.greengrass#GetConfiguration',
      'aws.greengrass#UpdateState',
    ]);
    expect(h.applied).toEqual([
      { config: { site: 'plant-1', storePath: '/var/pcf/store.db', pollIntervalMs: 1000, meters: ['m1'] } },
    ]);
    expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);
  });

  it('applies a live-safe change without a restart', async () => {
    const h = harness();
    runner = await h.start();
    server.updateConfiguration(COMPONENT, ['pollIntervalMs'], 250);
    await waitFor(() => h.applied.length === 2, 'the live change');
    expect(h.applied[1]?.config.pollIntervalMs).toBe(250);
    expect(h.applied[1]?.previous?.pollIntervalMs).toBe(1000);
    expect(runner.config().pollIntervalMs).toBe(250);
    expect(h.restarts).toEqual([]);
  });

  it('rejects an invalid update with every path logged and keeps running on the old configuration', async () => {
    const h = harness();
    runner = await h.start();
    server.updateConfiguration(COMPONENT, [], { ...good, site: '', pollIntervalMs: 5, colour: 'red' });
    await waitFor(() => runner?.stats().rejected === 1, 'the rejection');
    const rejection = h.lines.find((l) => l.msg === 'configuration update rejected; keeping the running configuration');
    expect(rejection?.errors).toEqual(
      expect.arrayContaining([
        "/: unknown property 'colour'",
        '/site: must NOT have fewer than 1 characters',
        '/pollIntervalMs: must be >= 100',
      ]),
    );
    expect(runner.config().site).toBe('plant-1');
    expect(h.applied).toHaveLength(1);
    // Still alive: a later valid change is applied live.
    server.updateConfiguration(COMPONENT, [], { ...good, meters: ['m1', 'm2'] });
    await waitFor(() => h.applied.length === 2, 'the next valid change');
    expect(runner.config().meters).toEqual(['m1', 'm2']);
    expect(h.restarts).toEqual([]);
  });

  it('requests a restart when a key marked x-restart changes, without applying it live', async () => {
    const h = harness();
    runner = await h.start();
    server.updateConfiguration(COMPONENT, ['storePath'], '/data/pcf/store.db');
    await waitFor(() => h.restarts.length === 1, 'the restart request');
    expect(h.restarts[0]).toMatch(/storePath/);
    expect(h.applied).toHaveLength(1);
    expect(runner.config().storePath).toBe('/var/pcf/store.db');
  });

  it("answers the nucleus's pre-deployment validation: REJECTED with every problem, ACCEPTED when valid", async () => {
    const h = harness();
    runner = await h.start();
    const rejected = await server.validateConfiguration(
      COMPONENT,
      { ...good, pollIntervalMs: 5, site: 3 },
      'deployment-1',
    );
    expect(rejected).toEqual({
      status: 'REJECTED',
      deploymentId: 'deployment-1',
      message: `invalid configuration for ${COMPONENT}: /site: must be string; /pollIntervalMs: must be >= 100`,
    });
    const accepted = await server.validateConfiguration(
      COMPONENT,
      { ...good, storePath: '/data/x.db' },
      'deployment-2',
    );
    expect(accepted).toEqual({ status: 'ACCEPTED', deploymentId: 'deployment-2' });
    expect(h.applied).toHaveLength(1);
    expect(h.restarts).toEqual([]);
  });

  it('reports ERRORED and exits non-zero when the configuration cannot start', async () => {
    server.setConfiguration(COMPONENT, { site: 'plant-1' });
    const h = harness();
    let err: unknown;
    await h.start().catch((e: unknown) => {
      err = e;
    });
    expect(isPcfError(err, 'ERR_CONFIG_INVALID') && err.details.errors).toEqual([
      "/: missing required property 'storePath'",
    ]);
    expect(server.states).toEqual([{ component: COMPONENT, state: 'ERRORED' }]);
    expect(h.exits).toEqual([1]);
    expect(h.applied).toEqual([]);
  });

  it('keeps the previous configuration when applying a change live throws', async () => {
    const seen: number[] = [];
    runner = await runWithConfig<Cfg>({
      schema,
      componentName: COMPONENT,
      log: silentLogger(),
      env: server.envFor(TOKEN),
      onConfig: (config) => {
        seen.push(config.pollIntervalMs);
        if (config.pollIntervalMs === 333) throw new Error('cannot reschedule');
      },
      requestRestart: () => undefined,
    });
    server.updateConfiguration(COMPONENT, ['pollIntervalMs'], 333);
    await waitFor(() => seen.length === 2, 'the failed live change');
    expect(runner.config().pollIntervalMs).toBe(1000);
    server.updateConfiguration(COMPONENT, ['pollIntervalMs'], 444);
    await waitFor(() => runner?.config().pollIntervalMs === 444, 'the next change');
    expect(seen).toEqual([1000, 333, 444]);
  });

  it('requests a restart when the nucleus connection is lost', async () => {
    const h = harness();
    runner = await h.start();
    await server.stop();
    await waitFor(() => h.restarts.length === 1, 'the restart request');
    expect(h.restarts[0]).toMatch(/IPC connection lost/);
  });
});

describe('runWithConfig outside Greengrass', () => {
  it('loads the config file and applies it once', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ site: 'lab', storePath: join(dir, 'store.db') }));
    const h = harness();
    runner = await h.start(file, {});
    expect(h.applied).toEqual([
      { config: { site: 'lab', storePath: join(dir, 'store.db'), pollIntervalMs: 1000, meters: [] } },
    ]);
    expect(runner.greengrass).toBeUndefined();
    expect(server.stats.accepted).toBe(0);
  });

  it('refuses to start without a config file', async () => {
    const exits: number[] = [];
    await expect(
      runWithConfig({
        schema,
        componentName: COMPONENT,
        log: silentLogger(),
        env: {},
        onConfig: () => undefined,
        exit: (c) => exits.push(c),
      }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
    expect(exits).toEqual([1]);
  });

  it('exits non-zero on an invalid config file, naming every problem', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'site: ""\npollIntervalMs: fast\n');
    const h = harness();
    let err: unknown;
    await h.start(file, {}).catch((e: unknown) => {
      err = e;
    });
    expect(isPcfError(err, 'ERR_CONFIG_INVALID') && err.details.errors).toEqual([
      "/: missing required property 'storePath'",
      '/site: must NOT have fewer than 1 characters',
      '/pollIntervalMs: must be integer',
    ]);
    expect(h.exits).toEqual([1]);
    expect(h.lines.find((l) => l.msg === 'component cannot start')?.errors).toEqual(
      (err as { details: { errors: string[] } }).details.errors,
    );
  });
});
