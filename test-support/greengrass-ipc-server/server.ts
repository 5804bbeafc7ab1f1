import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigObject, changedLeafPaths, isPrefix, nodeAt, setAt } from './config-tree';
import { createFrameDecoder, encodeMessage, type EventStreamMessage } from './eventstream-codec';
import {
  errorBody, getConfiguration, IpcOperationError, type IpcErrorShape, OP, parseConfigRequest, parsePublish,
  parseUpdateState, parseValidityReport, type PublishedMessage, subscriptionTarget, type ValidityReport,
} from './operations';
import { connectionError, jsonMessage, MessageFlags, MessageType, parseRpcMessage, RPC_VERSION, rpcMessage, type RpcMessage } from './rpc-protocol';

export { OP, type IpcErrorShape, type PublishedMessage, type ValidityReport } from './operations';

/**
 * An eventstream-RPC server speaking the Greengrass nucleus's IPC protocol on a Unix domain socket, for tests
 * that run the real `aws-iot-device-sdk-v2` `greengrasscoreipc` client. It authenticates the Connect message's
 * `authToken`, serves GetConfiguration / SubscribeToConfigurationUpdate / UpdateState / PublishToTopic from
 * state the test controls, and can be told to fail any operation with a modelled error shape.
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
  /** Answers every later call of `operation` with the error shape, until clearFailures(). */
  failOperation(operation: string, shape: IpcErrorShape, message?: string): void;
  clearFailures(): void;
  readonly states: Array<{ component: string; state: string }>;
  readonly published: PublishedMessage[];
  readonly stats: { accepted: number; refused: number; protocolErrors: number; operations: string[] };
  /**
   * Asks the component's validation subscribers to check a proposed configuration, as the nucleus does before a
   * deployment applies it; resolves with the component's report, or undefined when nobody subscribed.
   */
  validateConfiguration(component: string, configuration: ConfigObject, deploymentId: string): Promise<ValidityReport | undefined>;
  /** Live configuration-update subscriptions, for tests that wait for a client to subscribe. */
  subscriptionCount(): number;
}

interface Connection {
  socket: Socket;
  component?: string;
  streams: Map<number, { operation: string; subscription?: { componentName: string; keyPath: string[] }; validates?: boolean }>;
}

export function createIpcTestServer(options: IpcTestServerOptions): IpcTestServer {
  const ownDir = options.socketPath ? undefined : mkdtempSync(join(tmpdir(), 'gg-ipc-'));
  const socketPath = options.socketPath ?? join(ownDir as string, 'ipc.socket');
  const configs = new Map<string, ConfigObject>();
  const failures = new Map<string, { shape: IpcErrorShape; message: string }>();
  const connections = new Set<Connection>();
  const states: IpcTestServer['states'] = [];
  const published: PublishedMessage[] = [];
  const stats: IpcTestServer['stats'] = { accepted: 0, refused: 0, protocolErrors: 0, operations: [] };
  const pendingValidations = new Map<string, (report: ValidityReport) => void>();
  let server: Server | undefined;

  function send(conn: Connection, m: EventStreamMessage): void {
    if (!conn.socket.destroyed) conn.socket.write(encodeMessage(m));
  }

  function protocolError(conn: Connection, reason: string): void {
    stats.protocolErrors += 1;
    send(conn, connectionError(MessageType.ProtocolError, reason));
    conn.socket.end();
  }

  function onConnect(conn: Connection, m: RpcMessage): void {
    let token: unknown;
    try {
      token = (JSON.parse(m.payload.toString('utf8')) as { authToken?: unknown }).authToken;
    } catch {
      token = undefined;
    }
    const component = typeof token === 'string' ? options.tokens[token] : undefined;
    if (m.version !== RPC_VERSION || component === undefined) {
      stats.refused += 1;
      send(conn, rpcMessage({ type: MessageType.ConnectAck, flags: MessageFlags.None, streamId: 0 }));
      conn.socket.end();
      return;
    }
    conn.component = component;
    stats.accepted += 1;
    send(conn, rpcMessage({ type: MessageType.ConnectAck, flags: MessageFlags.ConnectionAccepted, streamId: 0 }));
  }

  function reply(conn: Connection, streamId: number, shape: string, body: unknown, terminate = true): void {
    send(conn, jsonMessage(streamId, `aws.greengrass#${shape}`, body, { terminate }));
  }

  function runOperation(conn: Connection, caller: string, streamId: number, operation: string, body: unknown): void {
    const forced = failures.get(operation);
    if (forced) throw new IpcOperationError(forced.shape, forced.message);
    switch (operation) {
      case OP.GetConfiguration:
        return reply(conn, streamId, 'GetConfigurationResponse', getConfiguration(configs, caller, parseConfigRequest(body)));
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
      case OP.SubscribeToValidateConfigurationUpdates:
        conn.streams.set(streamId, { operation, validates: true });
        return reply(conn, streamId, 'SubscribeToValidateConfigurationUpdatesResponse', {}, false);
      case OP.SendConfigurationValidityReport: {
        const report = parseValidityReport(body);
        const key = `${caller}\u0000${report.deploymentId}`;
        const resolve = pendingValidations.get(key);
        if (!resolve) throw new IpcOperationError('InvalidArgumentsError', 'Validation request either timed out or was never made');
        pendingValidations.delete(key);
        resolve(report);
        return reply(conn, streamId, 'SendConfigurationValidityReportResponse', {});
      }
      default:
        send(conn, rpcMessage({
          type: MessageType.ApplicationError, flags: MessageFlags.TerminateStream, streamId,
          contentType: 'text/plain', payload: Buffer.from(`operation ${operation} is not supported by the test server`),
        }));
    }
  }

  function onStreamMessage(conn: Connection, m: RpcMessage): void {
    const open = conn.streams.get(m.streamId);
    if (open) {
      if (m.flags & MessageFlags.TerminateStream) conn.streams.delete(m.streamId);
      return;
    }
    if (!m.operation) return protocolError(conn, `stream ${m.streamId} opened without an operation header`);
    const operation = m.operation;
    stats.operations.push(operation);
    conn.streams.set(m.streamId, { operation });
    try {
      let body: unknown;
      try {
        body = m.payload.length === 0 ? {} : JSON.parse(m.payload.toString('utf8'));
      } catch {
        throw new IpcOperationError('ServiceError', 'request payload is not valid JSON');
      }
      runOperation(conn, conn.component as string, m.streamId, operation, body);
    } catch (err) {
      const e = err instanceof IpcOperationError ? err : new IpcOperationError('ServiceError', (err as Error).message);
      send(conn, jsonMessage(m.streamId, `aws.greengrass#${e.shape}`, errorBody(e.shape, e.message), { error: true, terminate: true }));
    }
    const stream = conn.streams.get(m.streamId);
    if (stream && !stream.subscription && !stream.validates) conn.streams.delete(m.streamId);
  }

  function onMessage(conn: Connection, raw: EventStreamMessage): void {
    const m = parseRpcMessage(raw);
    if (typeof m === 'string') return protocolError(conn, m);
    if (conn.component === undefined) {
      if (m.type !== MessageType.Connect || m.streamId !== 0) return protocolError(conn, 'the first message must be Connect on stream 0');
      return onConnect(conn, m);
    }
    switch (m.type) {
      case MessageType.Ping:
        return send(conn, rpcMessage({ type: MessageType.PingResponse, streamId: 0, payload: m.payload }));
      case MessageType.ApplicationMessage:
      case MessageType.ApplicationError:
        if (m.streamId <= 0) return protocolError(conn, 'application messages need a stream id > 0');
        return onStreamMessage(conn, m);
      default:
        return protocolError(conn, `unexpected message type ${m.type} after connect`);
    }
  }

  function onSocket(socket: Socket): void {
    const conn: Connection = { socket, streams: new Map() };
    connections.add(conn);
    const decoder = createFrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let messages: EventStreamMessage[];
      try {
        messages = decoder.push(chunk);
      } catch (err) {
        protocolError(conn, (err as Error).message);
        socket.removeAllListeners('data');
        return;
      }
      for (const m of messages) {
        if (socket.writableEnded) return;
        onMessage(conn, m);
      }
    });
    socket.on('error', () => socket.destroy());
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
            reply(conn, streamId, 'ConfigurationUpdateEvents', { configurationUpdateEvent: { componentName: component, keyPath: path } }, false);
            sent += 1;
          }
        }
      }
      return sent;
    },
    failOperation(operation, shape, message = `${shape} injected by the test`) {
      failures.set(operation, { shape, message });
    },
    clearFailures() {
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
