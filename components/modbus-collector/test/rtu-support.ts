import { createServer, type Socket } from 'node:net';
import { ServerSerial } from 'modbus-serial';
import { SerialPort } from 'serialport';
import { appendCrc, crcMatches, type SerialLine } from '@pcf-edge/profiles';
import type { DeviceConfig, SerialSettings, Transport } from '../src/config';
import { device, registerBank, type RegisterBank } from './support';

/** An RTU device config (rtu: `path`; rtuOverTcp: 127.0.0.1 and `port`), 9600 8E1 unless `line` says otherwise. */
export function rtuDevice(
  id: string,
  transport: Exclude<Transport, 'tcp'>,
  at: { path: string } | { port: number },
  line: Partial<SerialSettings> = {},
  extra: Partial<DeviceConfig> = {},
): DeviceConfig {
  const { host: _h, port: _p, ...common } = device(id, 0, { timeoutMs: 200, ...extra });
  const serial: SerialSettings = { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1, crcRetries: 2, ...line };
  return 'path' in at
    ? { ...common, transport, serial: { ...serial, path: at.path } }
    : { ...common, transport, host: '127.0.0.1', port: at.port, serial };
}

export interface RtuRequest {
  unitId: number;
  functionCode: number;
  address: number;
  count: number;
  /** performance.now() when it arrived. */
  at: number;
}

/** What the scripted bus sends for a request: a frame (now or after delayMs), or nothing. */
export type RtuAnswer = { frame: Buffer; delayMs?: number } | null;

/** A frame from its bytes without CRC, the CRC appended. */
export const rtuFrame = (...bytes: number[]): Buffer => appendCrc(Buffer.from([...bytes, 0, 0]));

/** The normal reply to a register read: `words` as the registers. */
export function registersReply(unitId: number, functionCode: number, words: number[]): Buffer {
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  return rtuFrame(unitId, functionCode, bytes.length, ...bytes);
}

/**
 * The far end of an RTU bus under a test's control: every 8-byte read request that passes its CRC is logged and
 * answered as `answer` says (default: registers holding their own address). Replies written are logged with the
 * time they left.
 */
export interface ScriptedBus {
  requests: RtuRequest[];
  /** performance.now() of each reply written. */
  replies: number[];
  answer: (req: RtuRequest) => RtuAnswer;
  /** Writes bytes nobody asked for. */
  inject(bytes: Buffer): void;
  close(): Promise<void>;
}

export const echoAddresses = (req: RtuRequest): RtuAnswer => ({
  frame: registersReply(
    req.unitId,
    req.functionCode,
    Array.from({ length: req.count }, (_, i) => (req.address + i) & 0xffff),
  ),
});

function scripted(write: (b: Buffer) => void): { bus: Omit<ScriptedBus, 'close'>; feed(chunk: Buffer): void } {
  let rx = Buffer.alloc(0);
  const bus: Omit<ScriptedBus, 'close'> = {
    requests: [],
    replies: [],
    answer: echoAddresses,
    inject: (bytes) => write(bytes),
  };
  const send = (frame: Buffer) => {
    bus.replies.push(performance.now());
    write(frame);
  };
  return {
    bus,
    feed(chunk) {
      const at = performance.now();
      rx = Buffer.concat([rx, chunk]);
      while (rx.length >= 8) {
        const f = rx.subarray(0, 8);
        rx = rx.subarray(8);
        if (!crcMatches(f)) continue;
        const req = { unitId: f[0]!, functionCode: f[1]!, address: f.readUInt16BE(2), count: f.readUInt16BE(4), at };
        bus.requests.push(req);
        const a = bus.answer(req);
        if (!a) continue;
        if (a.delayMs) setTimeout(() => send(a.frame), a.delayMs);
        else send(a.frame);
      }
    },
  };
}

/** A scripted bus on the serial device `path` (one end of a PTY pair). */
export async function startScriptedSerialBus(path: string): Promise<ScriptedBus> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const { bus, feed } = scripted((b) => void port.write(b));
  port.on('data', feed);
  port.on('error', () => undefined);
  return {
    ...bus,
    get answer() {
      return bus.answer;
    },
    set answer(fn) {
      bus.answer = fn;
    },
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

/** A scripted bus behind a TCP port on 127.0.0.1 (a converter in transparent mode); every connection feeds it. */
export async function startScriptedTcpBus(): Promise<ScriptedBus & { port: number }> {
  const socks = new Set<Socket>();
  const { bus, feed } = scripted((b) => {
    for (const s of socks) s.write(b);
  });
  const server = createServer((sock) => {
    socks.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => socks.delete(sock));
    sock.on('data', feed);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...bus,
    get answer() {
      return bus.answer;
    },
    set answer(fn) {
      bus.answer = fn;
    },
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of socks) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * modbus-serial's ServerSerial on the serial device `path`, backed by a register bank: an RTU server the collector
 * did not write. It frames requests by a 30 ms pause (its default), so each request takes that much longer.
 */
export async function startSerialTestDevice(
  path: string,
  line: SerialLine,
): Promise<RegisterBank & { close(): Promise<void> }> {
  const bank = registerBank();
  const server = new ServerSerial(bank.vector, { path, baudRate: line.baudRate, parity: line.parity, unitID: 255 });
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('error', reject);
  });
  server.on('socketError', () => undefined);
  return Object.assign(bank, { close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}
