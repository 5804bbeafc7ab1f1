import type { EventStreamMessage, HeaderValue } from './eventstream-codec';

/**
 * Eventstream-RPC layer over the binary framing, as aws-c-event-stream's RPC client expects it. Every message
 * carries the int32 headers `:message-type`, `:message-flags` and `:stream-id`; stream 0 is the connection
 * itself (Connect, ConnectAck, Ping, PingResponse, ProtocolError, InternalError), streams > 0 are operations
 * opened by the client with a string header `operation`. Modelled payloads are JSON, named by the string header
 * `service-model-type` and typed by `:content-type`.
 */
export const MessageType = {
  ApplicationMessage: 0,
  ApplicationError: 1,
  Ping: 2,
  PingResponse: 3,
  Connect: 4,
  ConnectAck: 5,
  ProtocolError: 6,
  InternalError: 7,
} as const;

export const MessageFlags = { None: 0, ConnectionAccepted: 1, TerminateStream: 2 } as const;

export const HEADER = {
  messageType: ':message-type',
  messageFlags: ':message-flags',
  streamId: ':stream-id',
  operation: 'operation',
  serviceModelType: 'service-model-type',
  contentType: ':content-type',
  version: ':version',
} as const;

/** The `:version` the SDK's RPC client puts on its Connect message. */
export const RPC_VERSION = '0.1.0';

export interface RpcMessage {
  type: number;
  flags: number;
  streamId: number;
  operation?: string;
  serviceModelType?: string;
  version?: string;
  payload: Buffer;
}

function int32(h: HeaderValue | undefined): number | undefined {
  return h?.type === 'int32' ? h.value : undefined;
}

function str(h: HeaderValue | undefined): string | undefined {
  return h?.type === 'string' ? h.value : undefined;
}

/** Reads the RPC headers; returns a reason string when a mandatory one is missing or of the wrong type. */
export function parseRpcMessage(m: EventStreamMessage): RpcMessage | string {
  const type = int32(m.headers[HEADER.messageType]);
  const flags = int32(m.headers[HEADER.messageFlags]);
  const streamId = int32(m.headers[HEADER.streamId]);
  if (type === undefined) return `missing int32 header ${HEADER.messageType}`;
  if (flags === undefined) return `missing int32 header ${HEADER.messageFlags}`;
  if (streamId === undefined) return `missing int32 header ${HEADER.streamId}`;
  const msg: RpcMessage = { type, flags, streamId, payload: m.payload };
  const operation = str(m.headers[HEADER.operation]);
  if (operation !== undefined) msg.operation = operation;
  const serviceModelType = str(m.headers[HEADER.serviceModelType]);
  if (serviceModelType !== undefined) msg.serviceModelType = serviceModelType;
  const version = str(m.headers[HEADER.version]);
  if (version !== undefined) msg.version = version;
  return msg;
}

export interface OutgoingRpcMessage {
  type: number;
  flags?: number;
  streamId: number;
  serviceModelType?: string;
  contentType?: string;
  payload?: Buffer;
}

export function rpcMessage(m: OutgoingRpcMessage): EventStreamMessage {
  const headers: Record<string, HeaderValue> = {};
  if (m.contentType !== undefined) headers[HEADER.contentType] = { type: 'string', value: m.contentType };
  if (m.serviceModelType !== undefined)
    headers[HEADER.serviceModelType] = { type: 'string', value: m.serviceModelType };
  headers[HEADER.messageType] = { type: 'int32', value: m.type };
  headers[HEADER.messageFlags] = { type: 'int32', value: m.flags ?? 0 };
  headers[HEADER.streamId] = { type: 'int32', value: m.streamId };
  return { headers, payload: m.payload ?? Buffer.alloc(0) };
}

/** A modelled JSON message on an operation stream. */
export function jsonMessage(
  streamId: number,
  shape: string,
  body: unknown,
  opts: { error?: boolean; terminate?: boolean } = {},
): EventStreamMessage {
  return rpcMessage({
    type: opts.error ? MessageType.ApplicationError : MessageType.ApplicationMessage,
    flags: opts.terminate ? MessageFlags.TerminateStream : MessageFlags.None,
    streamId,
    serviceModelType: shape,
    contentType: 'application/json',
    payload: Buffer.from(JSON.stringify(body), 'utf8'),
  });
}

/** A connection-level error (stream 0); the sender closes the connection after it. */
export function connectionError(
  type: typeof MessageType.ProtocolError | typeof MessageType.InternalError,
  message: string,
): EventStreamMessage {
  return rpcMessage({
    type,
    streamId: 0,
    contentType: 'application/json',
    payload: Buffer.from(JSON.stringify({ message }), 'utf8'),
  });
}
