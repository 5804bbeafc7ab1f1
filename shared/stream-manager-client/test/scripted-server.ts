import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { decodePayload, encodeFrame, encodePayload, FrameParser, Op, type Payload } from '../src';

/** A raw TCP peer for client tests: it records what the client sent and answers as each test scripts. */
export interface ScriptedPeer {
  socket: Socket;
  received: { op: number; body: Payload }[];
  reply(op: number, body: Payload): void;
}

export interface Scripted {
  port: number;
  peers: ScriptedPeer[];
  close(): Promise<void>;
}

/**
 * `onFrame` sees every frame after the handshake; with `handshake: 'ok'` (default) Connect is answered with
 * version byte 1 and a success ConnectResponse; `'silent'` never answers; a number sends that version byte.
 */
export async function startScripted(
  onFrame: (peer: ScriptedPeer, op: number, body: Payload) => void,
  options: { handshake?: 'ok' | 'silent' | number; port?: number } = {},
): Promise<Scripted> {
  const peers: ScriptedPeer[] = [];
  const server: Server = createServer((socket) => {
    const parser = new FrameParser(true);
    const peer: ScriptedPeer = {
      socket,
      received: [],
      reply: (op, body) => socket.write(encodeFrame(op, encodePayload(body))),
    };
    peers.push(peer);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const f of parser.push(chunk)) {
        const body = decodePayload(f.payload);
        peer.received.push({ op: f.op, body });
        if (f.op === Op.Connect) {
          const hs = options.handshake ?? 'ok';
          if (hs === 'silent') continue;
          socket.write(Buffer.from([hs === 'ok' ? 1 : hs]));
          peer.reply(Op.ConnectResponse, {
            requestId: body.requestId,
            status: 0,
            protocolVersion: '1.1.0',
            serverVersion: 'scripted',
          });
          continue;
        }
        onFrame(peer, f.op, body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    peers,
    close: async () => {
      for (const p of peers) p.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
