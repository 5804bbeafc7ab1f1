import { EventEmitter } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { silentLogger } from '@pcf-edge/core';
import {
  createStreamManagerClient,
  decodePayload,
  FrameParser,
  Persistence,
  StrategyOnFull,
} from '@pcf-edge/stream-manager-client';
import { serveConnection } from '../../simulators/stream-manager/src/connection';
import { createHandlers } from '../../simulators/stream-manager/src/handlers';
import { createStreamManagerServer } from '../../simulators/stream-manager/src/server';
import { InvariantError, type FuzzTarget } from '../engine';
import { serverSeeds } from './sm-frames';
import { tempDir } from './support';

/** The part of a net.Socket that serveConnection uses, recording what the server writes. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  readonly written: Buffer[] = [];
  write(chunk: Buffer): boolean {
    if (!this.destroyed) this.written.push(Buffer.from(chunk));
    return true;
  }
  end(): void {
    this.destroyed = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/**
 * Bytes from a client to our local Stream Manager. Each input is one connection served in-process by the real
 * `serveConnection` over the real server's registry (fed in two chunks, split at an input-derived point). Invariant:
 * no exception escapes; everything the server wrote is well-formed (version byte, then frames with CBOR map payloads
 * whose non-zero status carries an errorMessage); every 1,000 inputs a real client on a real TCP connection still
 * creates, appends and reads back.
 */
export const smServerFrames: FuzzTarget = {
  name: 'sm-server-frames',
  seeds: serverSeeds,
  arbitrary: fc.uint8Array({ maxLength: 512 }),
  maxBytes: 64 * 1024,
  async setup() {
    const tmp = tempDir('sm-server');
    const server = createStreamManagerServer({ port: 0, dir: tmp.dir }, { log: silentLogger() });
    const { port } = await server.start();
    const handlers = createHandlers({ registry: server.registry, exporter: undefined });
    const client = createStreamManagerClient({ port, connectTimeoutMs: 5000, requestTimeoutMs: 5000 });
    let n = 0;
    return {
      async run(input) {
        const socket = new FakeSocket();
        const abort = new AbortController();
        serveConnection(socket as unknown as Socket, {
          handlers,
          tokens: new Set(),
          signal: abort.signal,
          serverVersion: 'fuzz',
          clientIdentifier: 'fuzz',
          log: silentLogger(),
        });
        const cut = input.length === 0 ? 0 : (input[input.length - 1]! * 31) % (input.length + 1);
        socket.emit('data', input.subarray(0, cut));
        if (!socket.destroyed) socket.emit('data', input.subarray(cut));
        await tick();
        await tick();
        abort.abort();
        socket.emit('close');
        await tick();
        checkReplies(Buffer.concat(socket.written));
      },
      async check() {
        const name = `health-${n++ % 4}`;
        if (!(await client.listStreams()).includes(name)) {
          await client.createMessageStream({
            name,
            strategyOnFull: StrategyOnFull.OverwriteOldestData,
            persistence: Persistence.Memory,
          });
        }
        const seq = await client.appendMessage(name, Buffer.from(`ok ${n}`));
        const [m] = await client.readMessages(name, {
          desiredStartSequenceNumber: seq,
          minMessageCount: 1,
          maxMessageCount: 1,
        });
        if (m?.payload.toString() !== `ok ${n}`)
          throw new InvariantError(`health stream read back ${JSON.stringify(m?.payload.toString())}`);
      },
      async teardown() {
        client.close();
        await server.stop();
        tmp.remove();
      },
    };
  },
};

function checkReplies(out: Buffer): void {
  if (out.length === 0) return;
  if (out[0] !== 1) throw new InvariantError(`server wrote version byte ${out[0]}`);
  const parser = new FrameParser(false);
  const frames = parser.push(out.subarray(1));
  if (parser.pendingBytes !== 0)
    throw new InvariantError(`server wrote a partial frame (${parser.pendingBytes} bytes left)`);
  for (const f of frames) {
    const body = decodePayload(f.payload);
    if (typeof body.status !== 'number') throw new InvariantError(`reply op ${f.op} without a numeric status`);
    if (body.status !== 0 && (typeof body.errorMessage !== 'string' || body.errorMessage === ''))
      throw new InvariantError(`reply op ${f.op} status ${body.status} without errorMessage`);
  }
}
