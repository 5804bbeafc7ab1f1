import { isPcfError, silentLogger } from '@pcf-edge/core';
import { createIpcTestServer, type IpcTestServer, OP } from '../../../test-support/greengrass-ipc-server/server';
import { createGreengrassAdapter, DEFAULT_STREAM_MANAGER_PORT, type GreengrassAdapter, isGreengrass } from '../src';
import { waitFor } from './helpers';

const COMPONENT = 'com.pcfedge.LineAggregator';
const TOKEN = 'adapter-token';
let server: IpcTestServer;
let adapter: GreengrassAdapter;

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  server = createIpcTestServer({ tokens: { [TOKEN]: COMPONENT } });
  await server.start();
  server.setConfiguration(COMPONENT, { windowsSec: [60, 900], publish: { topic: 'pcf/line' } });
  adapter = createGreengrassAdapter({ componentName: COMPONENT, log: silentLogger(), env: server.envFor(TOKEN) });
  await adapter.connect();
});

afterAll(async () => {
  await adapter.close();
  await server.stop();
});

afterEach(() => server.clearFailures());

describe('isGreengrass', () => {
  it('is true only when the nucleus IPC socket variable is set', () => {
    expect(isGreengrass({ AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: '/greengrass/v2/ipc.socket' })).toBe(
      true,
    );
    expect(isGreengrass({ AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: '' })).toBe(false);
    expect(isGreengrass({ SVCUID: 'x' })).toBe(false);
  });
});

describe('Greengrass adapter', () => {
  it('reads its own configuration and a key path', async () => {
    expect(await adapter.getConfiguration()).toEqual({ windowsSec: [60, 900], publish: { topic: 'pcf/line' } });
    expect(await adapter.getConfiguration(['publish', 'topic'])).toEqual({ topic: 'pcf/line' });
  });

  it('delivers the changed key path of each configuration update', async () => {
    const changes: string[][] = [];
    await adapter.subscribeToConfigurationUpdates((keyPath) => changes.push(keyPath));
    server.updateConfiguration(COMPONENT, ['windowsSec'], [60]);
    await waitFor(() => changes.length === 1, 'an update event');
    expect(changes).toEqual([['windowsSec']]);
  });

  it('reports state and publishes JSON to a local topic', async () => {
    await adapter.updateState('RUNNING');
    await adapter.publish('pcf/line/rollups', { line: 'L1', kWh: 12.5 });
    expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);
    expect(server.published).toEqual([
      { component: COMPONENT, topic: 'pcf/line/rollups', message: { line: 'L1', kWh: 12.5 }, kind: 'json' },
    ]);
  });

  it("finds Stream Manager's port in its configuration, else its default", async () => {
    expect(await adapter.streamManagerPort()).toBe(DEFAULT_STREAM_MANAGER_PORT);
    server.setConfiguration('aws.greengrass.StreamManager', { STREAM_MANAGER_SERVER_PORT: '9100', port: '9100' });
    expect(await adapter.streamManagerPort()).toBe(9100);
    server.setConfiguration('aws.greengrass.StreamManager', { port: 'eighty' });
    const err = await failure(adapter.streamManagerPort());
    expect(isPcfError(err, 'ERR_CONFIG_INVALID') && err.details.errors).toEqual([
      '/port: must be an integer 1..65535, got "eighty"',
    ]);
  });

  it('does not hide a Stream Manager lookup failure other than not-found', async () => {
    server.failOperation(OP.GetConfiguration, 'ServiceError', 'nucleus busy');
    const err = await failure(adapter.streamManagerPort());
    expect(isPcfError(err, 'ERR_IPC') && err.details).toMatchObject({
      operation: 'GetConfiguration',
      errorCode: 'ServiceError',
    });
  });

  it.each([
    ['ResourceNotFoundError', () => adapter.getConfiguration(['missing']), 'GetConfiguration'],
    ['UnauthorizedError', () => adapter.publish('pcf/x', 1), 'PublishToTopic'],
    ['ServiceError', () => adapter.updateState('ERRORED'), 'UpdateState'],
  ] as const)('turns a %s reply into ERR_IPC naming the operation and the error', async (shape, call, operation) => {
    if (shape !== 'ResourceNotFoundError')
      server.failOperation(`aws.greengrass#${operation}`, shape, 'refused by test');
    const err = await failure(call());
    expect(isPcfError(err, 'ERR_IPC')).toBe(true);
    expect((err as { details: unknown }).details).toMatchObject({
      operation,
      errorCode: shape,
      rpcErrorType: 'ServiceError',
    });
    expect((err as Error).message).toMatch(new RegExp(`${operation} failed: ${shape}`));
  });

  it('times out a call the nucleus never answers', async () => {
    const impatient = createGreengrassAdapter({
      componentName: COMPONENT,
      log: silentLogger(),
      env: server.envFor(TOKEN),
      timeoutMs: 300,
    });
    await impatient.connect();
    server.ignoreOperation(OP.GetConfiguration);
    const err = await failure(impatient.getConfiguration());
    expect(isPcfError(err, 'ERR_IPC') && err.message).toBe('Greengrass IPC GetConfiguration timed out after 300 ms');
    await impatient.close();
  });

  it('fails to connect with a precise error when the socket is missing or the token is wrong', async () => {
    const noSocket = createGreengrassAdapter({ componentName: COMPONENT, log: silentLogger(), env: {} });
    expect(((await failure(noSocket.connect())) as Error).message).toMatch(
      /AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT/,
    );
    const badToken = createGreengrassAdapter({
      componentName: COMPONENT,
      log: silentLogger(),
      env: server.envFor('wrong'),
    });
    const err = await failure(badToken.connect());
    expect(isPcfError(err, 'ERR_IPC') && err.details.operation).toBe('Connect');
    await badToken.close();
  });
});
