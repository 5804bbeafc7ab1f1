import { io } from 'aws-crt';
// The SDK's IPC modules only: its index also loads the MQTT, IoT jobs/shadow/identity and discovery clients, which no
// component uses (about 8 MB of RSS in a bare node process; ADR 0262).
import * as eventstream_rpc from 'aws-iot-device-sdk-v2/dist/eventstream_rpc';
import * as greengrasscoreipc from 'aws-iot-device-sdk-v2/dist/greengrasscoreipc';
import { type Logger, PcfError } from '@pcf-edge/core';
import { IPC_SOCKET_ENV, IPC_TOKEN_ENV } from './environment';
import { ipcError, ipcErrorCode } from './ipc-errors';

export const STREAM_MANAGER_COMPONENT = 'aws.greengrass.StreamManager';
/** Stream Manager's port when its configuration has none (its documented default). */
export const DEFAULT_STREAM_MANAGER_PORT = 8088;

export interface GreengrassAdapterOptions {
  componentName: string;
  log: Logger;
  /** Source of the socket path and auth token; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Upper bound for connect and for each request; default 10 000 ms. */
  timeoutMs?: number;
  /** Called once if the nucleus connection drops while not closing. */
  onDisconnect?: (reason: string) => void;
}

export type ReportedState = 'RUNNING' | 'ERRORED';

/** A secret's value: a string, or binary data (Secrets Manager's SecretString / SecretBinary). */
export type SecretValue = { kind: 'string'; value: string } | { kind: 'binary'; value: Buffer };

/**
 * The component's side of Greengrass IPC, on the SDK's `greengrasscoreipc` client. Calls are made one at a time
 * by their caller's design (none here queue); each failure is one PcfError `ERR_IPC` whose details name the
 * operation and the modelled error (`details.errorCode`).
 */
export interface GreengrassAdapter {
  connect(): Promise<void>;
  /** Subscribes to every change of this component's configuration; `onChange` gets the changed key path. */
  subscribeToConfigurationUpdates(onChange: (keyPath: string[]) => void): Promise<void>;
  /**
   * Lets the nucleus ask, before a deployment applies a configuration, whether it is valid: `check` returns the
   * problems found (none ⇒ ACCEPTED; otherwise REJECTED with them as the message, which fails the deployment).
   */
  subscribeToValidateConfigurationUpdates(check: (configuration: Record<string, unknown>) => string[]): Promise<void>;
  /** The configuration at `keyPath` (default: all) of `componentName` (default: this component). */
  getConfiguration(keyPath?: string[], componentName?: string): Promise<Record<string, unknown>>;
  updateState(state: ReportedState): Promise<void>;
  /** Stream Manager's `port` configuration; DEFAULT_STREAM_MANAGER_PORT when it has none. */
  streamManagerPort(): Promise<number>;
  /** Publishes a JSON payload to a local pub/sub topic. */
  publish(topic: string, payload: unknown): Promise<void>;
  /**
   * A secret's current value from aws.greengrass.SecretManager, by ARN; the component's accessControl must allow
   * `aws.greengrass#GetSecretValue` on it. Secrets Manager holds either a string or binary value. Never log it.
   */
  getSecretValue(secretId: string): Promise<SecretValue>;
  close(): Promise<void>;
}

/** The SDK's eventstream payload (string, ArrayBuffer or a view) as a Buffer. */
function payloadBuffer(p: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof p === 'string') return Buffer.from(p, 'utf8');
  if (ArrayBuffer.isView(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  return Buffer.from(p);
}

function clientConfig(env: NodeJS.ProcessEnv): eventstream_rpc.RpcClientConfig {
  const socketPath = env[IPC_SOCKET_ENV];
  if (!socketPath)
    throw new PcfError('ERR_IPC', `Greengrass IPC socket not set: environment variable ${IPC_SOCKET_ENV} is empty`);
  const authToken = env[IPC_TOKEN_ENV];
  // Same as the SDK's createDefaultClientConfig(), but from an explicit environment.
  return {
    hostName: socketPath,
    port: 0,
    socketOptions: new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.LOCAL),
    connectTransform: (options) => {
      const message = options.message;
      if (authToken) message.payload = JSON.stringify({ authToken });
      return Promise.resolve(message);
    },
  };
}

export function createGreengrassAdapter(options: GreengrassAdapterOptions): GreengrassAdapter {
  const { componentName, log } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let client: greengrasscoreipc.Client | undefined;
  const subscriptions: Array<{ close(): Promise<void> }> = [];
  let closing = false;

  async function call<T>(operation: string, run: (c: greengrasscoreipc.Client) => Promise<T>): Promise<T> {
    if (!client) throw new PcfError('ERR_IPC', `Greengrass IPC ${operation} called before connect()`, { operation });
    const c = client;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new PcfError('ERR_IPC', `Greengrass IPC ${operation} timed out after ${timeoutMs} ms`, { operation })),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([run(c), timeout]);
    } catch (err) {
      throw err instanceof PcfError ? err : ipcError(operation, err);
    } finally {
      clearTimeout(timer);
    }
  }

  async function getConfiguration(keyPath: string[] = [], component = componentName): Promise<Record<string, unknown>> {
    const res = await call('GetConfiguration', (c) => c.getConfiguration({ componentName: component, keyPath }));
    return (res.value ?? {}) as Record<string, unknown>;
  }

  return {
    async connect() {
      if (client) throw new PcfError('ERR_IPC', 'Greengrass IPC connect() called twice');
      const c = greengrasscoreipc.createClient(clientConfig(options.env ?? process.env));
      c.on('disconnection', (e) => {
        if (closing) return;
        const reason = e?.reason?.message ?? 'connection closed';
        log.error({ reason }, 'Greengrass IPC connection lost');
        options.onDisconnect?.(reason);
      });
      client = c;
      await call('Connect', () => c.connect());
      log.info({ componentName }, 'Greengrass IPC connected');
    },

    async subscribeToConfigurationUpdates(onChange) {
      await call('SubscribeToConfigurationUpdate', async (c) => {
        const op = c.subscribeToConfigurationUpdate({ componentName, keyPath: [] });
        op.on('message', (m) => onChange(m.configurationUpdateEvent?.keyPath ?? []));
        op.on('streamError', (err) => log.warn({ err }, 'configuration update stream error'));
        op.on('ended', () => {
          if (!closing) log.warn('configuration update subscription ended by the nucleus');
        });
        subscriptions.push(op);
        await op.activate();
      });
    },

    async subscribeToValidateConfigurationUpdates(check) {
      const report = async (deploymentId: string, problems: string[]): Promise<void> => {
        const status =
          problems.length === 0
            ? greengrasscoreipc.model.ConfigurationValidityStatus.ACCEPTED
            : greengrasscoreipc.model.ConfigurationValidityStatus.REJECTED;
        const message =
          problems.length === 0 ? undefined : `invalid configuration for ${componentName}: ${problems.join('; ')}`;
        await call('SendConfigurationValidityReport', (c) =>
          c.sendConfigurationValidityReport({
            configurationValidityReport: { status, deploymentId, ...(message ? { message } : {}) },
          }),
        );
        log.info({ deploymentId, status, problems }, 'answered a configuration validation request');
      };
      await call('SubscribeToValidateConfigurationUpdates', async (c) => {
        const op = c.subscribeToValidateConfigurationUpdates({});
        op.on('message', (m) => {
          const event = m.validateConfigurationUpdateEvent;
          if (!event) return;
          const configuration = (event.configuration ?? {}) as Record<string, unknown>;
          report(event.deploymentId, check(configuration)).catch((err: unknown) =>
            log.error({ err, deploymentId: event.deploymentId }, 'could not answer a configuration validation request'),
          );
        });
        op.on('streamError', (err) => log.warn({ err }, 'configuration validation stream error'));
        subscriptions.push(op);
        await op.activate();
      });
    },

    getConfiguration,

    async updateState(state) {
      const s =
        state === 'RUNNING'
          ? greengrasscoreipc.model.ReportedLifecycleState.RUNNING
          : greengrasscoreipc.model.ReportedLifecycleState.ERRORED;
      await call('UpdateState', (c) => c.updateState({ state: s }));
      log.info({ state }, 'reported component state');
    },

    async streamManagerPort() {
      let value: Record<string, unknown>;
      try {
        value = await getConfiguration(['port'], STREAM_MANAGER_COMPONENT);
      } catch (err) {
        if (ipcErrorCode((err as PcfError).cause) !== 'ResourceNotFoundError') throw err;
        log.info({ port: DEFAULT_STREAM_MANAGER_PORT }, 'Stream Manager has no port configured; using its default');
        return DEFAULT_STREAM_MANAGER_PORT;
      }
      const raw = value.port;
      const port =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        const problem = `/port: must be an integer 1..65535, got ${JSON.stringify(raw)}`;
        throw new PcfError(
          'ERR_CONFIG_INVALID',
          `invalid configuration in ${STREAM_MANAGER_COMPONENT}:\n  ${problem}`,
          {
            source: STREAM_MANAGER_COMPONENT,
            errors: [problem],
          },
        );
      }
      return port;
    },

    async publish(topic, payload) {
      await call('PublishToTopic', (c) =>
        c.publishToTopic({ topic, publishMessage: { jsonMessage: { message: payload } } }),
      );
    },

    async getSecretValue(secretId) {
      const res = await call('GetSecretValue', (c) => c.getSecretValue({ secretId }));
      const { secretString, secretBinary } = res.secretValue ?? {};
      if (typeof secretString === 'string') return { kind: 'string', value: secretString };
      if (secretBinary !== undefined) return { kind: 'binary', value: payloadBuffer(secretBinary) };
      throw new PcfError('ERR_IPC', `Greengrass IPC GetSecretValue returned no value for ${secretId}`, {
        operation: 'GetSecretValue',
      });
    },

    async close() {
      closing = true;
      const c = client;
      client = undefined;
      for (const op of subscriptions.splice(0)) await op.close().catch(() => undefined);
      if (c) await c.close().catch(() => undefined);
    },
  };
}
