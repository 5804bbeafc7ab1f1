import { createServer, type AddressInfo, type Server } from 'node:net';
import fc from 'fast-check';
import { isPcfError } from '@pcf-edge/core';
import {
  CONNECT_VERSION,
  createStreamManagerClient,
  decodePayload,
  FrameParser,
  Op,
  Persistence,
  PROTOCOL_VERSION,
  StrategyOnFull,
} from '@pcf-edge/stream-manager-client';
import { InvariantError, type FuzzTarget } from '../engine';
import { clientSeeds, CONNECT_ID, frame, REQUEST_ID } from './sm-frames';
import { expectPcfError } from './support';

const SM_CODES = [
  'ERR_SM_PROTOCOL',
  'ERR_SM_STATUS',
  'ERR_SM_TIMEOUT',
  'ERR_SM_CONNECTION',
  'ERR_SM_PAYLOAD_TOO_LARGE',
];
const LANES = 32;

/** A raw TCP server that answers one client connection with the fuzzed bytes (request ids patched in), then ends. */
interface FakeServer {
  server: Server;
  port: number;
  input: Buffer;
}

function replaceAll(bytes: Buffer, placeholder: string, id: string): Buffer {
  if (id.length !== placeholder.length) return bytes;
  const out = Buffer.from(bytes);
  const p = Buffer.from(placeholder);
  for (let i = out.indexOf(p); i >= 0; i = out.indexOf(p, i + p.length)) out.write(id, i, 'latin1');
  return out;
}

async function fakeServer(): Promise<FakeServer> {
  const fake: FakeServer = { server: createServer(), port: 0, input: Buffer.alloc(0) };
  fake.server.on('connection', (socket) => {
    const input = fake.input;
    const replaceHandshake = ((input[1] ?? 0) & 1) === 1;
    const bytes = input.subarray(2);
    const parser = new FrameParser(true);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      try {
        for (const f of parser.push(chunk)) {
          const id = String(decodePayload(f.payload).requestId);
          if (f.op === Op.Connect && replaceHandshake) {
            socket.end(replaceAll(bytes, CONNECT_ID, id));
          } else if (f.op === Op.Connect) {
            socket.write(
              Buffer.concat([
                Buffer.from([CONNECT_VERSION]),
                frame(Op.ConnectResponse, {
                  requestId: id,
                  status: 0,
                  protocolVersion: PROTOCOL_VERSION,
                  supportedProtocolVersions: ['1.1.0'],
                  serverVersion: 'fuzz',
                  clientIdentifier: 'c',
                }),
              ]),
            );
          } else {
            socket.end(replaceAll(bytes, REQUEST_ID, id));
          }
        }
      } catch {
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  fake.port = (fake.server.address() as AddressInfo).port;
  return fake;
}

function checkResult(op: number, value: unknown): void {
  const bad = (what: string) => {
    throw new InvariantError(`request ${op} resolved with ${what}`);
  };
  switch (op) {
    case 0:
      if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) bad('a stream list that is not string[]');
      break;
    case 1:
      if (typeof value !== 'bigint') bad(`a sequence number of type ${typeof value}`);
      break;
    case 2:
      if (
        !Array.isArray(value) ||
        value.some(
          (m: { payload?: unknown; sequenceNumber?: unknown }) =>
            !Buffer.isBuffer(m.payload) || typeof m.sequenceNumber !== 'bigint',
        )
      )
        bad('messages without Buffer payload / bigint sequence');
      break;
    case 3:
      if (typeof (value as { definition?: { name?: unknown } }).definition?.name !== 'string')
        bad('stream info without a definition name');
      break;
    default:
      break;
  }
}

/**
 * Bytes from a fake Stream Manager to our client (real TCP, one fresh client per input, 32 in parallel). Byte 0 picks
 * the request (list, append, read, describe, create), byte 1 bit 0 whether the bytes replace the handshake too.
 * Invariant: the call resolves with a well-typed result or rejects with an ERR_SM_* PcfError, within the timeout.
 */
export const smClientFrames: FuzzTarget = {
  name: 'sm-client-frames',
  seeds: clientSeeds,
  arbitrary: fc.uint8Array({ maxLength: 512 }),
  concurrency: LANES,
  timeoutMs: 5000,
  async setup() {
    const free: FakeServer[] = await Promise.all(Array.from({ length: LANES }, fakeServer));
    const all = [...free];
    return {
      async run(input) {
        const fake = free.pop();
        if (!fake) throw new Error('no free fake server (concurrency above the pool size)');
        fake.input = input;
        const client = createStreamManagerClient({ port: fake.port, connectTimeoutMs: 2000, requestTimeoutMs: 2000 });
        const op = (input[0] ?? 0) % 5;
        try {
          const calls = [
            () => client.listStreams(),
            () => client.appendMessage('s', Buffer.from('x')),
            () => client.readMessages('s', { desiredStartSequenceNumber: 0n, minMessageCount: 1, maxMessageCount: 5 }),
            () => client.describeMessageStream('s'),
            () =>
              client.createMessageStream({
                name: 's',
                strategyOnFull: StrategyOnFull.RejectNewData,
                persistence: Persistence.File,
              }),
          ];
          const value: unknown = await calls[op]!();
          checkResult(op, value);
        } catch (err) {
          if (err instanceof InvariantError) throw err;
          if (!isPcfError(err) || !SM_CODES.includes(err.code)) expectPcfError(err, SM_CODES, `client request ${op}`);
        } finally {
          client.close();
          free.push(fake);
        }
      },
      async teardown() {
        await Promise.all(all.map((f) => new Promise<void>((resolve) => f.server.close(() => resolve()))));
      },
    };
  },
};
