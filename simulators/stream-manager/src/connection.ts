import type { Socket } from 'node:net';
import type { Logger } from '@pcf-edge/core';
import {
  CONNECT_VERSION,
  decodePayload,
  encodeFrame,
  encodePayload,
  FrameParser,
  MAX_FRAME_LENGTH,
  Op,
  PROTOCOL_VERSION,
  OTHER_PROTOCOL_VERSIONS,
  REPLY_OP,
  Status,
  StreamManagerError,
  type Frame,
  type Payload,
} from '@pcf-edge/stream-manager-client';
import type { Handler } from './handlers';

export interface ConnectionContext {
  handlers: Map<number, Handler>;
  /** Accepted auth tokens; empty ⇒ any client is accepted. */
  tokens: Set<string>;
  signal: AbortSignal;
  serverVersion: string;
  clientIdentifier: string;
  log: Logger;
}

const SUPPORTED_VERSIONS = [PROTOCOL_VERSION, ...OTHER_PROTOCOL_VERSIONS];

/**
 * Serves one client connection: connect-version byte and Connect handshake (with the token check), then requests
 * handled concurrently, each answered with its own requestId. A malformed frame (bad length, undecodable CBOR,
 * a request before Connect) is logged and closes this connection only.
 */
export function serveConnection(socket: Socket, ctx: ConnectionContext): void {
  const parser = new FrameParser(true, MAX_FRAME_LENGTH);
  let connected = false;
  let refused = false;

  function send(op: number, body: Payload): void {
    if (socket.destroyed) return;
    let payload = encodePayload(body);
    if (payload.length + 1 > MAX_FRAME_LENGTH) {
      payload = encodePayload({
        requestId: body.requestId,
        status: Status.ResponsePayloadTooLarge,
        errorMessage: `reply of ${payload.length} bytes is too large`,
      });
    }
    socket.write(encodeFrame(op, payload));
  }

  function refuse(requestId: unknown, status: number, errorMessage: string): void {
    ctx.log.warn({ status, errorMessage }, 'connect refused');
    refused = true;
    socket.write(Buffer.from([CONNECT_VERSION]));
    send(Op.ConnectResponse, {
      requestId,
      status,
      errorMessage,
      protocolVersion: PROTOCOL_VERSION,
      supportedProtocolVersions: SUPPORTED_VERSIONS,
      serverVersion: ctx.serverVersion,
    });
    socket.end();
  }

  function handshake(frame: Frame, body: Payload): void {
    if (frame.op !== Op.Connect)
      throw new StreamManagerError(Status.UnexpectedOperation, `expected Connect (op 1) first, got op ${frame.op}`);
    if (parser.versionByte !== CONNECT_VERSION)
      return refuse(
        body.requestId,
        Status.UnsupportedConnectVersion,
        `connect-version byte ${parser.versionByte} is not ${CONNECT_VERSION}`,
      );
    if (typeof body.protocolVersion !== 'string' || !SUPPORTED_VERSIONS.includes(body.protocolVersion)) {
      return refuse(
        body.requestId,
        Status.UnsupportedProtocolVersion,
        `protocol version ${String(body.protocolVersion)} is not supported (${SUPPORTED_VERSIONS.join(', ')})`,
      );
    }
    if (ctx.tokens.size > 0 && (typeof body.authToken !== 'string' || !ctx.tokens.has(body.authToken))) {
      return refuse(
        body.requestId,
        Status.Unauthorized,
        body.authToken === undefined ? 'an auth token is required' : 'the auth token is not accepted',
      );
    }
    connected = true;
    socket.write(Buffer.from([CONNECT_VERSION]));
    send(Op.ConnectResponse, {
      requestId: body.requestId,
      status: Status.Success,
      protocolVersion: PROTOCOL_VERSION,
      supportedProtocolVersions: SUPPORTED_VERSIONS,
      serverVersion: ctx.serverVersion,
      clientIdentifier: ctx.clientIdentifier,
    });
  }

  async function handle(frame: Frame, body: Payload): Promise<void> {
    const requestId = body.requestId;
    const handler = ctx.handlers.get(frame.op);
    const replyOp = REPLY_OP[frame.op];
    if (!handler || replyOp === undefined) {
      send(Op.UnknownOperationError, {
        requestId,
        status: Status.UnknownOperation,
        errorMessage: `unknown operation ${frame.op}`,
      });
      return;
    }
    try {
      if (typeof requestId !== 'string') throw new StreamManagerError(Status.InvalidRequest, 'requestId is required');
      const reply = await handler(body, ctx.signal);
      send(replyOp, { ...reply, requestId, status: Status.Success });
    } catch (err) {
      if (!(err instanceof StreamManagerError)) ctx.log.error({ err, op: frame.op }, 'request failed');
      const status = err instanceof StreamManagerError ? err.status : Status.UnknownFailure;
      try {
        send(replyOp, {
          requestId: typeof requestId === 'string' ? requestId : undefined,
          status,
          errorMessage: err instanceof StreamManagerError ? err.errorMessage : (err as Error).message,
        });
      } catch (sendErr) {
        ctx.log.error({ err: sendErr }, 'cannot send an error reply; closing the connection');
        socket.destroy();
      }
    }
  }

  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of parser.push(chunk)) {
        if (refused) return;
        // Views, not copies, of byte strings: no handler keeps a payload past its request (SQLite copies it).
        const body = decodePayload(frame.payload, { byteStrings: 'views' });
        if (!connected) handshake(frame, body);
        else void handle(frame, body);
      }
    } catch (err) {
      ctx.log.error({ err }, 'malformed frame from client; closing the connection');
      socket.destroy();
    }
  });
  socket.on('error', (err) => ctx.log.debug({ err }, 'client connection error'));
}
