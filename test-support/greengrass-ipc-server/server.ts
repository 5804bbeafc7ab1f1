import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigObject, changedLeafPaths, isPrefix, nodeAt, setAt } from './config-tree';
import { attachConnection, type Connection, type ConnectionStats, reply, send } from './connection';
import {
  getConfiguration,
  getSecretValue,
  IpcOperationError,
  type IpcErrorShape,
  OP,
  parseConfigRequest,
  parsePublish,
  parseUpdateState,
  parseValidityReport,
  type PublishedMessage,
  type SecretValue,
  subscriptionTarget,
  type ValidityReport,
} from './operations';
import { MessageFlags, MessageType, rpcMessage } from './rpc-protocol';

export { OP, type IpcErrorShape, type PublishedMessage, type SecretValue, type ValidityReport } from './operations';

/**
 * An eventstream-RPC server speaking the Greengrass nucleus's IPC protocol on a Unix domain socket, for tests
 * that run the real `aws-iot-device-sdk-v2` `greengrasscoreipc` client. It authenticates the Connect message's
 * `authToken`, serves GetConfiguration / SubscribeToConfigurationUpdate / UpdateState / PublishToTopic, and
 * GetSecretValue (as aws.greengrass.SecretManager, authorised by the caller's accessControl) from state the test
 * controls, and can be told to fail any operation with a modelled error shape.
 */
export interface IpcTestServerOptions {
  /** Auth token (what the nucleus passes as SVCUID) → the component name it authenticates. */
  tokens: Record<string, string>;
  /** Socket path; default `<fresh temp dir>/ipc.socket`. */
  socketPath?: string;
}

export interface IpcTestServer {
  readonly socketPath: string;
  start(): Promise<void>;
  /** Closes every connection and the listener, removes the socket's temp dir. */
  stop(): Promise<void>;
  /** The environment the nucleus gives a component: socket path and auth token. */
  envFor(token: string): Record<string, string>;
  /** Replaces a component's whole configuration without sending update events (a deployment before start). */
  setConfiguration(component: string, config: ConfigObject): void;
  /**
   * Sets (or, for `undefined`, removes) the value at `keyPath` and sends one ConfigurationUpdateEvent per changed
   * leaf to every subscriber whose key path is a prefix of it. Returns the number of events written.
   */
  updateConfiguration(component: string, keyPath: string[], value: unknown): number;
  /**
   * Stores a secret as aws.greengrass.SecretManager would after syncing it; GetSecretValue serves it to a component
   * whose configuration's accessControl allows that secret id.
   */
  setSecret(secretId: string, value: SecretValue): void;
  /** Answers every later call of `operation` with the error shape, until clearFailures(). */
  failOperation(operation: string, shape: IpcErrorShape, message?: string): void;
  /** Leaves every later call of `operation` unanswered (a stalled nucleus), until clearFailures(). */
  ignoreOperation(operation: string): void;
  clearFailures(): void;
  readonly states: Array<{ component: string; state: string }>;
  readonly published: PublishedMessage[];
  readonly stats: ConnectionStats;
  /**
   * Asks the component's validation subscribers to check a proposed configuration, as the nucleus does before a
   * deployment applies it; resolves with the component's report, or undefined when nobody subscribed.
   */
  validateConfiguration(
    component: string,
    configuration: ConfigObject,
    deploymentId: string,
  ): Promise<ValidityReport | undefined>;
  /** Live configuration-update subscriptions, for tests that wait for a client to subscribe. */
  subscriptionCount(): number;
}

export function createIpcTestServer(options: IpcTestServerOptions): IpcTestServer {
  const ownDir = options.socketPath ? undefined : mkdtempSync(join(tmpdir(), 'gg-ipc-'));
  const socketPath = options.socketPath ?? join(ownDir as string, 'ipc.socket');
  const configs = new Map<string, ConfigObject>();
  const secrets = new Map<string, SecretValue>();
  const failures = new Map<string, { shape: IpcErrorShape; message: string }>();
  const ignored = new Set<string>();
  const connections = new Set<Connection>();
  const states: IpcTestServer['states'] = [];
  const published: PublishedMessage[] = [];
  const stats: IpcTestServer['stats'] = { accepted: 0, refused: 0, protocolErrors: 0, operations: [] };
  const pendingValidations = new Map<string, (report: ValidityReport) => void>();
  let server: Server | undefined;

  function runOperation(conn: Connection, caller: string, streamId: number, operation: string, body: unknown): void {
    if (ignored.has(operation)) return;
    const forced = failures.get(operation);
    if (forced) throw new IpcOperationError(forced.shape, forced.message);
    switch (operation) {
      case OP.GetConfiguration:
        return reply(
          conn,
          streamId,
          'GetConfigurationResponse',
          getConfiguration(configs, caller, parseConfigRequest(body)),
        );
      case OP.SubscribeToConfigurationUpdate: {
        const subscription = subscriptionTarget(configs, caller, parseConfigRequest(body));
        conn.streams.set(streamId, { operation, subscription });
        return reply(conn, streamId, 'SubscribeToConfigurationUpdateResponse', {}, false);
      }
      case OP.UpdateState:
        states.push({ component: caller, state: parseUpdateState(body) });
        return reply(conn, streamId, 'UpdateStateResponse', {});
      case OP.PublishToTopic:
        published.push(parsePublish(caller, body));
        return reply(conn, streamId, 'PublishToTopicResponse', {});
      case OP.GetSecretValue:
        return reply(conn, streamId, 'GetSecretValueResponse', getSecretValue(configs, secrets, caller, body));
      case OP.SubscribeToValidateConfigurationUpdates:
        conn.streams.set(streamId, { operation, validates: true });
        return reply(conn, streamId, 'SubscribeToValidateConfigurationUpdatesResponse', {}, false);
      case OP.SendConfigurationValidityReport: {
        const report = parseValidityReport(body);
        const key = `${caller}\u0000${report.deploymentId}`;
        const resolve = pendingValidations.get(key);
        if (!resolve)
          throw new IpcOperationError('InvalidArgumentsError', 'Validation request either timed out or was never made');
        pendingValidations.delete(key);
        resolve(report);
        return reply(conn, streamId, 'SendConfigurationValidityReportResponse', {});
      }
      default:
        send(
          conn,
          rpcMessage({
            type: MessageType.ApplicationError,
            flags: MessageFlags.TerminateStream,
            streamId,
            contentType: 'text/plain',
            payload: Buffer.from(`operation ${operation} is not supported by the test server`),
          }),
        );
    }
  }

  function onSocket(socket: Socket): void {
    const conn = attachConnection(socket, { tokens: options.tokens, stats, runOperation });
    connections.add(conn);
    socket.on('close', () => connections.delete(conn));
  }

  return {
    socketPath,
    states,
    published,
    stats,
    async start() {
      server = createServer(onSocket);
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(socketPath, () => resolve());
      });
    },
    async stop() {
      for (const c of connections) c.socket.destroy();
      connections.clear();
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
    envFor(token) {
      return { AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: socketPath, SVCUID: token };
    },
    setConfiguration(component, config) {
      configs.set(component, structuredClone(config));
    },
    updateConfiguration(component, keyPath, value) {
      const root = configs.get(component) ?? {};
      configs.set(component, root);
      const before = structuredClone(nodeAt(root, keyPath));
      if (keyPath.length === 0) {
        configs.set(component, structuredClone(value as ConfigObject));
      } else {
        setAt(root, keyPath, value);
      }
      let sent = 0;
      for (const path of changedLeafPaths(before, value, keyPath)) {
        for (const conn of connections) {
          for (const [streamId, s] of conn.streams) {
            if (s.subscription?.componentName !== component || !isPrefix(s.subscription.keyPath, path)) continue;
            reply(
              conn,
              streamId,
              'ConfigurationUpdateEvents',
              { configurationUpdateEvent: { componentName: component, keyPath: path } },
              false,
            );
            sent += 1;
          }
        }
      }
      return sent;
    },
    setSecret(secretId, value) {
      secrets.set(secretId, value);
    },
    failOperation(operation, shape, message = `${shape} injected by the test`) {
      failures.set(operation, { shape, message });
    },
    ignoreOperation(operation) {
      ignored.add(operation);
    },
    clearFailures() {
      ignored.clear();
      failures.clear();
    },
    validateConfiguration(component, configuration, deploymentId) {
      const event = { validateConfigurationUpdateEvent: { configuration, deploymentId } };
      let sent = 0;
      for (const conn of connections) {
        if (conn.component !== component) continue;
        for (const [streamId, s] of conn.streams) {
          if (!s.validates) continue;
          reply(conn, streamId, 'ValidateConfigurationUpdateEvents', event, false);
          sent += 1;
        }
      }
      if (sent === 0) return Promise.resolve(undefined);
      return new Promise((resolve) => pendingValidations.set(`${component}\u0000${deploymentId}`, resolve));
    },
    subscriptionCount() {
      let n = 0;
      for (const c of connections) for (const s of c.streams.values()) if (s.subscription) n += 1;
      return n;
    },
  };
}
