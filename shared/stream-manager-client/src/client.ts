import { PcfError, retryDelayMs, silentLogger, sleep, type Logger, type RetrySettings } from '@pcf-edge/core';
import { int64, type Payload } from './codec';
import { Connection } from './connection';
import { connectionError } from './errors';
import { infoFromWire, messageFromWire } from './wire';
import {
  MAX_FRAME_LENGTH,
  Op,
  type Message,
  type MessageStreamDefinition,
  type MessageStreamInfo,
  type ReadMessagesOptions,
} from './protocol';

export interface StreamManagerClientOptions {
  host?: string;
  /** Else env STREAM_MANAGER_SERVER_PORT, else 8088. */
  port?: number;
  /** Else env AWS_CONTAINER_AUTHORIZATION_TOKEN; omitted from Connect when neither is set. */
  authToken?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Largest AppendMessage payload accepted before sending; default 128 MiB. */
  maxMessageBytes?: number;
  /** Largest frame length `L` sent or accepted; default 2^30. */
  maxFrameLength?: number;
  /** Wait before a reconnect after failed attempts (ADR 0170); default 100 ms, doubling, at most 10 s. */
  retry?: Partial<RetrySettings>;
  env?: NodeJS.ProcessEnv;
}

export interface StreamManagerClient {
  createMessageStream(definition: MessageStreamDefinition): Promise<void>;
  updateMessageStream(definition: MessageStreamDefinition): Promise<void>;
  deleteMessageStream(name: string): Promise<void>;
  describeMessageStream(name: string): Promise<MessageStreamInfo>;
  /**
   * Resolves with the message's sequence number once Stream Manager stored it. `data` goes to the socket by
   * reference (ADR 0133): do not change it until the promise settles.
   */
  appendMessage(streamName: string, data: Buffer): Promise<bigint>;
  readMessages(streamName: string, options?: ReadMessagesOptions): Promise<Message[]>;
  listStreams(): Promise<string[]>;
  /** Rejects pending requests and closes the connection; later calls fail with ERR_SM_CONNECTION. */
  close(): void;
  readonly port: number;
}

export const DEFAULT_PORT = 8088;
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

export function resolvePort(option: number | undefined, env: NodeJS.ProcessEnv): number {
  if (option !== undefined) return option;
  const text = env.STREAM_MANAGER_SERVER_PORT;
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PcfError('ERR_CONFIG_INVALID', `STREAM_MANAGER_SERVER_PORT is not a TCP port: ${JSON.stringify(text)}`);
  }
  return port;
}

/**
 * A Stream Manager client that multiplexes any number of requests over one lazily opened connection.
 * A lost connection is reopened by the next request; after a failed attempt the next one waits (capped backoff).
 */
export function createStreamManagerClient(
  options: StreamManagerClientOptions = {},
  deps: { log?: Logger } = {},
): StreamManagerClient {
  const env = options.env ?? process.env;
  const port = resolvePort(options.port, env);
  const host = options.host ?? '127.0.0.1';
  const log = deps.log ?? silentLogger();
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const retry: RetrySettings = {
    initialDelayMs: 100,
    maxDelayMs: 10_000,
    multiplier: 2,
    jitter: 'none',
    ...options.retry,
  };
  const authToken = options.authToken ?? (env.AWS_CONTAINER_AUTHORIZATION_TOKEN || undefined);
  let conn: Connection | undefined;
  let connecting: Promise<Connection> | undefined;
  let failures = 0;
  let lastFailureAt = 0;
  let closed = false;
  /** Aborted by close(): a reconnect waiting out its backoff gives up at once. */
  const closing = new AbortController();

  async function openWithBackoff(): Promise<Connection> {
    if (failures > 0) {
      const wait = lastFailureAt + retryDelayMs(retry, failures) - Date.now();
      if (wait > 0) await sleep(wait, { signal: closing.signal });
    }
    if (closed) throw connectionError('Stream Manager client closed');
    try {
      const c = await Connection.open(
        {
          host,
          port,
          connectTimeoutMs: options.connectTimeoutMs ?? 3000,
          authToken,
          maxFrameLength: options.maxFrameLength ?? MAX_FRAME_LENGTH,
          log,
        },
        (dead) => {
          if (conn === dead) conn = undefined;
        },
      );
      failures = 0;
      if (closed) c.close();
      return c;
    } catch (err) {
      failures++;
      lastFailureAt = Date.now();
      log.warn({ err, port, failures }, 'Stream Manager connect failed');
      throw err;
    }
  }

  async function connection(): Promise<Connection> {
    if (closed) throw connectionError('Stream Manager client closed');
    if (conn?.alive) return conn;
    connecting ??= openWithBackoff().finally(() => {
      connecting = undefined;
    });
    const c = await connecting;
    conn = c;
    return c;
  }

  async function call(op: number, body: Payload, timeoutMs = requestTimeoutMs): Promise<Payload> {
    const c = await connection();
    return c.request(op, body, timeoutMs);
  }

  return {
    port,
    async createMessageStream(definition) {
      await call(Op.CreateMessageStream, { definition: { ...definition } });
    },
    async updateMessageStream(definition) {
      await call(Op.UpdateMessageStream, { definition: { ...definition } });
    },
    async deleteMessageStream(name) {
      await call(Op.DeleteMessageStream, { name });
    },
    async describeMessageStream(name) {
      return infoFromWire((await call(Op.DescribeMessageStream, { name })).messageStreamInfo);
    },
    async appendMessage(streamName, data) {
      if (data.length < 1)
        throw new PcfError('ERR_SM_PAYLOAD_TOO_LARGE', 'a message payload must hold at least 1 byte', { bytes: 0 });
      if (data.length > maxMessageBytes) {
        throw new PcfError(
          'ERR_SM_PAYLOAD_TOO_LARGE',
          `message of ${data.length} bytes exceeds the limit of ${maxMessageBytes} bytes`,
          { bytes: data.length, limit: maxMessageBytes },
        );
      }
      const reply = await call(Op.AppendMessage, { name: streamName, payload: data });
      return int64(reply.sequenceNumber, 'sequenceNumber');
    },
    async readMessages(streamName, readOptions) {
      const waitMs = readOptions?.readTimeoutMillis ?? 0;
      const reply = await call(
        Op.ReadMessages,
        { streamName, readMessagesOptions: readOptions ? { ...readOptions } : undefined },
        Math.max(requestTimeoutMs, waitMs + 10_000),
      );
      const messages = Array.isArray(reply.messages) ? reply.messages : [];
      return messages.map(messageFromWire);
    },
    async listStreams() {
      const reply = await call(Op.ListStreams, {});
      return Array.isArray(reply.streams) ? reply.streams.map(String) : [];
    },
    close() {
      closed = true;
      closing.abort();
      conn?.close();
      conn = undefined;
    },
  };
}
