import { connect, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { PcfError, type Logger } from '@pcf-edge/core';
import { decodePayload, encodeFrameParts, FrameParser, type Frame, type Payload } from './codec';
import { connectionError, StreamManagerError } from './errors';
import {
  CONNECT_VERSION,
  Op,
  OTHER_PROTOCOL_VERSIONS,
  PROTOCOL_VERSION,
  REPLY_OP,
  SDK_VERSION,
  Status,
} from './protocol';

export interface ConnectionSettings {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** Sent as `authToken` in Connect; omitted when undefined. */
  authToken: string | undefined;
  maxFrameLength: number;
  log: Logger;
}

interface Pending {
  op: number;
  resolve(body: Payload): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One handshaken TCP connection with any number of requests in flight, matched to replies by a fresh UUID
 * `requestId`. When the socket closes or the peer sends a malformed frame, every pending request is rejected
 * (ERR_SM_CONNECTION / ERR_SM_PROTOCOL) and the connection is dead for good; the client opens a new one.
 */
export class Connection {
  private readonly pending = new Map<string, Pending>();
  private readonly parser: FrameParser;
  private failure: Error | undefined;
  private connectRequestId: string | undefined;
  serverVersion: string | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly settings: ConnectionSettings,
    private readonly onDead: (conn: Connection) => void,
  ) {
    this.parser = new FrameParser(true, settings.maxFrameLength);
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Opens the socket and completes the handshake within `connectTimeoutMs`. */
  static open(settings: ConnectionSettings, onDead: (conn: Connection) => void): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: settings.host, port: settings.port, noDelay: true });
      const conn = new Connection(socket, settings, onDead);
      const timer = setTimeout(() => {
        conn.fail(
          new PcfError(
            'ERR_SM_TIMEOUT',
            `connect to Stream Manager at ${settings.host}:${settings.port} timed out after ${settings.connectTimeoutMs} ms`,
          ),
        );
      }, settings.connectTimeoutMs);
      const requestId = randomUUID();
      conn.connectRequestId = requestId;
      conn.pending.set(requestId, {
        op: Op.Connect,
        timer,
        resolve: (body) => {
          conn.serverVersion = typeof body.serverVersion === 'string' ? body.serverVersion : undefined;
          resolve(conn);
        },
        reject,
      });
      socket.on('connect', () => {
        socket.write(Buffer.from([CONNECT_VERSION]));
        conn.write(Op.Connect, {
          requestId,
          protocolVersion: PROTOCOL_VERSION,
          otherSupportedProtocolVersions: OTHER_PROTOCOL_VERSIONS,
          sdkVersion: SDK_VERSION,
          authToken: settings.authToken,
        });
      });
      socket.on('data', (chunk: Buffer) => conn.onData(chunk));
      socket.on('error', (err) =>
        conn.fail(
          connectionError(`Stream Manager connection to ${settings.host}:${settings.port} failed: ${err.message}`, err),
        ),
      );
      socket.on('close', () =>
        conn.fail(connectionError(`Stream Manager at ${settings.host}:${settings.port} closed the connection`)),
      );
    });
  }

  /** Sends a request; resolves with the reply body of a success status, rejects with a typed error otherwise. */
  request(op: number, body: Payload, timeoutMs: number): Promise<Payload> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const requestId = randomUUID();
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new PcfError('ERR_SM_TIMEOUT', `Stream Manager request (op ${op}) timed out after ${timeoutMs} ms`, {
            op,
            requestId,
          }),
        );
      }, timeoutMs);
      this.pending.set(requestId, { op, resolve, reject, timer });
      try {
        this.write(op, { ...body, requestId });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(err as Error);
      }
    });
  }

  close(reason: Error = connectionError('Stream Manager client closed')): void {
    this.fail(reason);
  }

  /** Writes one request frame; a message payload goes to the socket by reference, not copied (codec.ts). */
  private write(op: number, body: Payload): void {
    const parts = encodeFrameParts(op, body);
    const length = parts[0]!.readInt32BE(0);
    if (length > this.settings.maxFrameLength) {
      throw new PcfError(
        'ERR_SM_PAYLOAD_TOO_LARGE',
        `request frame of ${length} bytes exceeds the frame limit of ${this.settings.maxFrameLength}`,
        { bytes: length },
      );
    }
    this.socket.cork();
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
      if (this.parser.versionByte !== undefined && this.parser.versionByte !== CONNECT_VERSION) {
        throw new StreamManagerError(
          Status.UnsupportedConnectVersion,
          `server connect-version byte is ${this.parser.versionByte}, expected ${CONNECT_VERSION}`,
        );
      }
      for (const frame of frames) this.onFrame(frame);
    } catch (err) {
      this.settings.log.error({ err }, 'malformed frame from Stream Manager; closing the connection');
      this.fail(err as Error);
    }
  }

  private onFrame(frame: Frame): void {
    const body = decodePayload(frame.payload);
    const requestId = body.requestId;
    // ConnectResponse may come without requestId; it then answers the pending Connect.
    const key =
      typeof requestId === 'string' ? requestId : frame.op === Op.ConnectResponse ? this.connectRequestId : undefined;
    const pending = key === undefined ? undefined : this.pending.get(key);
    if (!pending || key === undefined) {
      this.settings.log.warn({ op: frame.op, requestId }, 'reply for no pending request ignored');
      return;
    }
    this.pending.delete(key);
    clearTimeout(pending.timer);
    const status = typeof body.status === 'number' ? body.status : Number(body.status ?? 0);
    const message = typeof body.errorMessage === 'string' ? body.errorMessage : '';
    if (frame.op === Op.UnknownOperationError) {
      pending.reject(
        new StreamManagerError(Status.UnknownOperation, message || `server does not know op ${pending.op}`, {
          op: pending.op,
        }),
      );
    } else if (frame.op !== REPLY_OP[pending.op]) {
      pending.reject(
        new PcfError('ERR_SM_PROTOCOL', `reply op ${frame.op} does not answer request op ${pending.op}`, {
          op: frame.op,
        }),
      );
    } else if (status !== Status.Success) {
      pending.reject(new StreamManagerError(status, message));
    } else {
      pending.resolve(body);
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.onDead(this);
  }
}
