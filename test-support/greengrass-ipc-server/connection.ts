import type { Socket } from 'node:net';
import { createFrameDecoder, encodeMessage, type EventStreamMessage } from './eventstream-codec';
import { errorBody, IpcOperationError } from './operations';
import {
  connectionError,
  jsonMessage,
  MessageFlags,
  MessageType,
  parseRpcMessage,
  RPC_VERSION,
  rpcMessage,
  type RpcMessage,
} from './rpc-protocol';

/**
 * One client connection of the IPC test server: framing, the Connect/ConnectAck handshake with the auth token,
 * and streams. Operations themselves are the server's `runOperation`; a throw from it becomes an error reply.
 */
export interface StreamState {
  operation: string;
  /** A live SubscribeToConfigurationUpdate stream. */
  subscription?: { componentName: string; keyPath: string[] };
  /** A live SubscribeToValidateConfigurationUpdates stream. */
  validates?: boolean;
}

export interface Connection {
  socket: Socket;
  /** Set once the Connect message authenticated. */
  component?: string;
  streams: Map<number, StreamState>;
}

export interface ConnectionStats {
  accepted: number;
  refused: number;
  protocolErrors: number;
  operations: string[];
}

export interface ConnectionDeps {
  tokens: Record<string, string>;
  stats: ConnectionStats;
  /** Serves one operation request; may register a long-lived stream in `conn.streams`. */
  runOperation(conn: Connection, caller: string, streamId: number, operation: string, body: unknown): void;
}

export function send(conn: Connection, m: EventStreamMessage): void {
  if (!conn.socket.destroyed) conn.socket.write(encodeMessage(m));
}

/** A modelled `aws.greengrass#<shape>` reply; `terminate` false keeps the stream open (subscriptions). */
export function reply(conn: Connection, streamId: number, shape: string, body: unknown, terminate = true): void {
  send(conn, jsonMessage(streamId, `aws.greengrass#${shape}`, body, { terminate }));
}

export function attachConnection(socket: Socket, deps: ConnectionDeps): Connection {
  const conn: Connection = { socket, streams: new Map() };
  const { stats } = deps;

  function protocolError(reason: string): void {
    stats.protocolErrors += 1;
    send(conn, connectionError(MessageType.ProtocolError, reason));
    socket.end();
  }

  function onConnect(m: RpcMessage): void {
    let token: unknown;
    try {
      token = (JSON.parse(m.payload.toString('utf8')) as { authToken?: unknown }).authToken;
    } catch {
      token = undefined;
    }
    const component = typeof token === 'string' ? deps.tokens[token] : undefined;
    if (m.version !== RPC_VERSION || component === undefined) {
      stats.refused += 1;
      send(conn, rpcMessage({ type: MessageType.ConnectAck, flags: MessageFlags.None, streamId: 0 }));
      socket.end();
      return;
    }
    conn.component = component;
    stats.accepted += 1;
    send(conn, rpcMessage({ type: MessageType.ConnectAck, flags: MessageFlags.ConnectionAccepted, streamId: 0 }));
  }

  function onStreamMessage(m: RpcMessage): void {
    const open = conn.streams.get(m.streamId);
    if (open) {
      if (m.flags & MessageFlags.TerminateStream) conn.streams.delete(m.streamId);
      return;
    }
    if (!m.operation) return protocolError(`stream ${m.streamId} opened without an operation header`);
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
      deps.runOperation(conn, conn.component as string, m.streamId, operation, body);
    } catch (err) {
      const e = err instanceof IpcOperationError ? err : new IpcOperationError('ServiceError', (err as Error).message);
      send(
        conn,
        jsonMessage(m.streamId, `aws.greengrass#${e.shape}`, errorBody(e.shape, e.message), {
          error: true,
          terminate: true,
        }),
      );
    }
    const stream = conn.streams.get(m.streamId);
    if (stream && !stream.subscription && !stream.validates) conn.streams.delete(m.streamId);
  }

  function onMessage(raw: EventStreamMessage): void {
    const m = parseRpcMessage(raw);
    if (typeof m === 'string') return protocolError(m);
    if (conn.component === undefined) {
      if (m.type !== MessageType.Connect || m.streamId !== 0)
        return protocolError('the first message must be Connect on stream 0');
      return onConnect(m);
    }
    switch (m.type) {
      case MessageType.Ping:
        return send(conn, rpcMessage({ type: MessageType.PingResponse, streamId: 0, payload: m.payload }));
      case MessageType.ApplicationMessage:
      case MessageType.ApplicationError:
        if (m.streamId <= 0) return protocolError('application messages need a stream id > 0');
        return onStreamMessage(m);
      default:
        return protocolError(`unexpected message type ${m.type} after connect`);
    }
  }

  const decoder = createFrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    let messages: EventStreamMessage[];
    try {
      messages = decoder.push(chunk);
    } catch (err) {
      protocolError((err as Error).message);
      socket.removeAllListeners('data');
      return;
    }
    for (const m of messages) {
      if (socket.writableEnded) return;
      onMessage(m);
    }
  });
  socket.on('error', () => socket.destroy());
  return conn;
}
