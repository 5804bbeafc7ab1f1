import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { silentLogger, type Clock } from '@pcf-edge/core';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  decodePayload,
  encodeFrame,
  encodePayload,
  FrameParser,
  type Frame,
  type Payload,
} from '@pcf-edge/stream-manager-client';
import { createStreamManagerServer, type StreamManagerServer, type StreamManagerServerConfig } from '../src';

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startServer(
  dir: string,
  config: Partial<StreamManagerServerConfig> = {},
  deps: { clock?: Clock; kinesis?: KinesisClient } = {},
): Promise<{ server: StreamManagerServer; port: number }> {
  const server = createStreamManagerServer({ port: 0, dir, ...config }, { log: silentLogger(), ...deps });
  const { port } = await server.start();
  return { server, port };
}

/** A raw client socket for byte-level tests: writes whatever it is given, collects reply frames. */
export async function rawSocket(
  port: number,
): Promise<{ socket: Socket; frames: Frame[]; closed: Promise<void>; next(n: number): Promise<Payload[]> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const parser = new FrameParser(true);
  const frames: Frame[] = [];
  let waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    frames.push(...parser.push(chunk));
    for (const w of waiters) w();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    frames,
    closed,
    next: (n) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (frames.length >= n) {
            waiters = waiters.filter((w) => w !== check);
            resolve(frames.slice(0, n).map((f) => ({ op: f.op, ...decodePayload(f.payload) })));
          }
        };
        waiters.push(check);
        check();
      }),
  };
}

export function frame(op: number, body: Payload): Buffer {
  return encodeFrame(op, encodePayload(body));
}

export const CONNECT = {
  requestId: 'c0',
  protocolVersion: '1.1.0',
  otherSupportedProtocolVersions: ['1.0.0'],
  sdkVersion: 'raw',
};

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
