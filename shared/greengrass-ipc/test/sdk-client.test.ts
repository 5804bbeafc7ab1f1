import { createConnection } from 'node:net';
import { eventstream_rpc, greengrasscoreipc } from 'aws-iot-device-sdk-v2';
import { createIpcTestServer, type IpcTestServer, OP } from '../../../test-support/greengrass-ipc-server/server';
import { createFrameDecoder, encodeMessage } from '../../../test-support/greengrass-ipc-server/eventstream-codec';
import { waitFor } from './helpers';

/** The real aws-iot-device-sdk-v2 IPC client (native aws-crt eventstream) against the test server. */
const COMPONENT = 'com.pcfedge.Test';
const TOKEN = 'svcuid-test-token';
let server: IpcTestServer;
let client: greengrasscoreipc.Client;
const savedEnv = { ...process.env };

async function connectedClient(token: string): Promise<greengrasscoreipc.Client> {
  Object.assign(process.env, server.envFor(token));
  const c = greengrasscoreipc.createClient();
  await c.connect();
  return c;
}

async function rejection(p: Promise<unknown>): Promise<eventstream_rpc.RpcError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(eventstream_rpc.RpcError);
    return err as eventstream_rpc.RpcError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  server = createIpcTestServer({ tokens: { [TOKEN]: COMPONENT } });
  await server.start();
  server.setConfiguration(COMPONENT, { site: 'plant-1', pollIntervalMs: 1000, nested: { a: { b: 'x' } } });
  server.setConfiguration('aws.greengrass.StreamManager', { port: '8088' });
  client = await connectedClient(TOKEN);
});

afterAll(async () => {
  await client.close();
  await server.stop();
  process.env = savedEnv;
});

afterEach(() => server.clearFailures());

describe('Greengrass IPC test server with the real SDK client', () => {
  it('accepts the Connect message carrying the SVCUID auth token', () => {
    expect(server.stats.accepted).toBeGreaterThanOrEqual(1);
  });

  it('refuses a connection with a wrong auth token', async () => {
    const { refused, accepted } = server.stats;
    Object.assign(process.env, server.envFor('not-the-token'));
    const bad = greengrasscoreipc.createClient();
    const err = await rejection(bad.connect());
    // Like the nucleus, the server sends a ConnectAck without ConnectionAccepted and closes the socket; the SDK
    // reports whichever it sees first: the invalid ConnectAck (HandshakeError) or the close (NetworkError).
    expect([eventstream_rpc.RpcErrorType.HandshakeError, eventstream_rpc.RpcErrorType.NetworkError]).toContain(
      err.type,
    );
    expect(server.stats.refused).toBe(refused + 1);
    expect(server.stats.accepted).toBe(accepted);
    await bad.close();
  });

  it('serves GetConfiguration for the caller, a key path, a leaf and another component', async () => {
    expect(await client.getConfiguration({ keyPath: [] })).toEqual({
      componentName: COMPONENT,
      value: { site: 'plant-1', pollIntervalMs: 1000, nested: { a: { b: 'x' } } },
    });
    expect((await client.getConfiguration({ keyPath: ['nested', 'a'] })).value).toEqual({ b: 'x' });
    expect((await client.getConfiguration({ keyPath: ['site'] })).value).toEqual({ site: 'plant-1' });
    expect(await client.getConfiguration({ componentName: 'aws.greengrass.StreamManager', keyPath: ['port'] })).toEqual(
      {
        componentName: 'aws.greengrass.StreamManager',
        value: { port: '8088' },
      },
    );
  });

  it('answers a missing key with ResourceNotFoundError as a typed service error', async () => {
    const err = await rejection(client.getConfiguration({ keyPath: ['nope'] }));
    expect(err.type).toBe(eventstream_rpc.RpcErrorType.ServiceError);
    expect(err.serviceError).toMatchObject({ message: 'Key not found', _errorCode: 'ResourceNotFoundError' });
  });

  it('streams ConfigurationUpdateEvents to a subscriber, one per changed leaf under its key path', async () => {
    const events: unknown[] = [];
    const op = client.subscribeToConfigurationUpdate({ keyPath: [] });
    op.on('message', (m) => events.push(m.configurationUpdateEvent));
    await op.activate();
    expect(server.updateConfiguration(COMPONENT, ['pollIntervalMs'], 2000)).toBe(1);
    expect(server.updateConfiguration(COMPONENT, ['nested'], { a: { b: 'y', c: 1 } })).toBe(2);
    expect(server.updateConfiguration(COMPONENT, ['site'], 'plant-1')).toBe(0);
    await waitFor(() => events.length === 3, 'three update events');
    expect(events).toEqual([
      { componentName: COMPONENT, keyPath: ['pollIntervalMs'] },
      { componentName: COMPONENT, keyPath: ['nested', 'a', 'b'] },
      { componentName: COMPONENT, keyPath: ['nested', 'a', 'c'] },
    ]);
    expect((await client.getConfiguration({ keyPath: ['pollIntervalMs'] })).value).toEqual({ pollIntervalMs: 2000 });
    await op.close();
    await waitFor(() => server.subscriptionCount() === 0, 'the subscription to be closed');
  });

  it('scopes events to the subscribed key path and refuses a subscription to a missing key', async () => {
    const events: unknown[] = [];
    const op = client.subscribeToConfigurationUpdate({ keyPath: ['nested'] });
    op.on('message', (m) => events.push(m.configurationUpdateEvent?.keyPath));
    await op.activate();
    expect(server.updateConfiguration(COMPONENT, ['pollIntervalMs'], 3000)).toBe(0);
    expect(server.updateConfiguration(COMPONENT, ['nested', 'a', 'b'], 'z')).toBe(1);
    await waitFor(() => events.length === 1, 'the scoped event');
    expect(events).toEqual([['nested', 'a', 'b']]);
    await op.close();
    const missing = client.subscribeToConfigurationUpdate({ keyPath: ['no', 'such', 'key'] });
    const err = await rejection(missing.activate());
    expect(err.serviceError).toMatchObject({ _errorCode: 'ResourceNotFoundError' });
  });

  it('records UpdateState and PublishToTopic', async () => {
    await client.updateState({ state: greengrasscoreipc.model.ReportedLifecycleState.RUNNING });
    await client.publishToTopic({ topic: 'pcf/rollups', publishMessage: { jsonMessage: { message: { kWh: 1.5 } } } });
    await client.publishToTopic({
      topic: 'pcf/raw',
      publishMessage: { binaryMessage: { message: Buffer.from('hi') } },
    });
    expect(server.states).toContainEqual({ component: COMPONENT, state: 'RUNNING' });
    expect(server.published).toEqual([
      { component: COMPONENT, topic: 'pcf/rollups', message: { kWh: 1.5 }, kind: 'json' },
      { component: COMPONENT, topic: 'pcf/raw', message: Buffer.from('hi'), kind: 'binary' },
    ]);
  });

  it.each([
    [OP.GetConfiguration, 'ServiceError'],
    [OP.UpdateState, 'ResourceNotFoundError'],
    [OP.PublishToTopic, 'UnauthorizedError'],
  ] as const)('surfaces an injected %s failure (%s) as the SDK typed service error', async (operation, shape) => {
    server.failOperation(operation, shape, `no ${shape}`);
    const call =
      operation === OP.GetConfiguration
        ? client.getConfiguration({ keyPath: [] })
        : operation === OP.UpdateState
          ? client.updateState({ state: greengrasscoreipc.model.ReportedLifecycleState.ERRORED })
          : client.publishToTopic({ topic: 't', publishMessage: { jsonMessage: { message: 1 } } });
    const err = await rejection(call);
    expect(err.type).toBe(eventstream_rpc.RpcErrorType.ServiceError);
    expect(err.serviceError).toMatchObject({ message: `no ${shape}`, _errorCode: shape });
  });

  it('rejects a validity report nobody asked for with InvalidArgumentsError, as the nucleus does', async () => {
    const err = await rejection(
      client.sendConfigurationValidityReport({
        configurationValidityReport: {
          status: greengrasscoreipc.model.ConfigurationValidityStatus.ACCEPTED,
          deploymentId: 'unknown',
        },
      }),
    );
    expect(err.type).toBe(eventstream_rpc.RpcErrorType.ServiceError);
    expect(err.serviceError).toMatchObject({ _errorCode: 'InvalidArgumentsError' });
  });

  it('reports an error shape the operation does not model as an SDK internal error', async () => {
    server.failOperation(OP.UpdateState, 'UnauthorizedError');
    const err = await rejection(client.updateState({ state: greengrasscoreipc.model.ReportedLifecycleState.RUNNING }));
    expect(err.type).toBe(eventstream_rpc.RpcErrorType.InternalError);
    expect(err.description).toMatch(/aws\.greengrass#UnauthorizedError/);
  });

  it('answers a malformed frame with a protocol error, closes that connection and keeps serving others', async () => {
    const before = server.stats.protocolErrors;
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = createConnection(server.socketPath);
      const chunks: Buffer[] = [];
      s.on('connect', () => s.write(Buffer.from('this is not an eventstream frame at all')));
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    const [msg] = createFrameDecoder().push(reply);
    expect(msg?.headers[':message-type']).toEqual({ type: 'int32', value: 6 });
    expect(server.stats.protocolErrors).toBe(before + 1);
    expect((await client.getConfiguration({ keyPath: ['site'] })).value).toEqual({ site: 'plant-1' });
  });

  it('answers an application message before Connect with a protocol error', async () => {
    const frame = encodeMessage({
      headers: {
        ':message-type': { type: 'int32', value: 0 },
        ':message-flags': { type: 'int32', value: 0 },
        ':stream-id': { type: 'int32', value: 1 },
      },
      payload: Buffer.from('{}'),
    });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = createConnection(server.socketPath);
      const chunks: Buffer[] = [];
      s.on('connect', () => s.write(frame));
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    const [msg] = createFrameDecoder().push(reply);
    expect(msg?.headers[':message-type']).toEqual({ type: 'int32', value: 6 });
    expect(JSON.parse(msg?.payload.toString() ?? '{}')).toEqual({
      message: 'the first message must be Connect on stream 0',
    });
  });
});
