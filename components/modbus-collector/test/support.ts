import { createServer, type Socket } from 'node:net';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { encodePoint, type PointDefinition } from '@pcf-edge/profiles';
import { silentLogger } from '@pcf-edge/core';
import type { CollectorConfig, DeviceConfig, MeterConfig, PointConfig } from '../src/config';

type Table = 'holding' | 'input' | 'coil' | 'discrete';
type Cb<T> = (err: unknown, value?: T) => void;

/** Behaviour knobs of a test device; change them while it runs. */
export interface Behaviour {
  /** Never answer. */
  silent: boolean;
  /** Answer every read with this exception code. */
  exception: number | null;
  /** Delay every answer. */
  delayMs: number;
}

/** Registers per unit id behind a modbus-serial server: unset registers read 0; those in `illegal` answer exception 2. */
export interface RegisterBank {
  behaviour: Behaviour;
  illegal: Set<string>;
  reads: number;
  set(table: Table, unit: number, address: number, words: number[]): void;
  setPoint(unit: number, point: PointDefinition | PointConfig, value: number): void;
  /** The service vector modbus-serial's ServerTCP and ServerSerial call. */
  readonly vector: IServiceVector;
}

/**
 * A real Modbus TCP server (modbus-serial ServerTCP on 127.0.0.1, port chosen by the OS) backed by a register
 * bank.
 */
export interface TestDevice extends RegisterBank {
  port: number;
  dropConnections(): void;
  close(): Promise<void>;
  /** Closes and listens again on the same port (a server restart). */
  restart(): Promise<void>;
}

const key = (table: string, unit: number, address: number) => `${table}:${unit}:${address}`;

export function registerBank(): RegisterBank {
  const regs = new Map<string, number>();
  const behaviour: Behaviour = { silent: false, exception: null, delayMs: 0 };
  const illegal = new Set<string>();
  const bank = { behaviour, illegal, reads: 0 } as RegisterBank;

  function answer<T>(
    table: Table,
    addr: number,
    len: number,
    unit: number,
    cb: Cb<T>,
    pick: (vals: number[]) => T,
  ): void {
    bank.reads++;
    if (behaviour.silent) return;
    const reply = () => {
      if (behaviour.exception !== null) return cb({ modbusErrorCode: behaviour.exception });
      const vals: number[] = [];
      for (let a = addr; a < addr + len; a++) {
        if (illegal.has(key(table, unit, a))) return cb({ modbusErrorCode: 2 });
        vals.push(regs.get(key(table, unit, a)) ?? 0);
      }
      cb(null, pick(vals));
    };
    if (behaviour.delayMs > 0) setTimeout(reply, behaviour.delayMs);
    else reply();
  }

  const vector = {
    getHoldingRegister: (a: number, u: number, cb: Cb<number>) => answer('holding', a, 1, u, cb, (v) => v[0] as number),
    getInputRegister: (a: number, u: number, cb: Cb<number>) => answer('input', a, 1, u, cb, (v) => v[0] as number),
    getMultipleHoldingRegisters: (a: number, n: number, u: number, cb: Cb<number[]>) =>
      answer('holding', a, n, u, cb, (v) => v),
    getMultipleInputRegisters: (a: number, n: number, u: number, cb: Cb<number[]>) =>
      answer('input', a, n, u, cb, (v) => v),
    getCoil: (a: number, u: number, cb: Cb<boolean>) => answer('coil', a, 1, u, cb, (v) => v[0] === 1),
    getDiscreteInput: (a: number, u: number, cb: Cb<boolean>) => answer('discrete', a, 1, u, cb, (v) => v[0] === 1),
  };
  return Object.assign(bank, {
    vector: vector as IServiceVector,
    set: (table: Table, unit: number, address: number, words: number[]) =>
      words.forEach((w, i) => regs.set(key(table, unit, address + i), w)),
    setPoint: (unit: number, point: PointDefinition | PointConfig, value: number) => {
      if (point.table === 'coil' || point.table === 'discrete')
        return bank.set(point.table, unit, point.address, [value ? 1 : 0]);
      bank.set(point.table, unit, point.address, encodePoint(value, point as PointDefinition));
    },
  });
}

export async function startTestDevice(port = 0): Promise<TestDevice> {
  let server: ServerTCP;
  const device = Object.assign(registerBank(), { port }) as TestDevice;

  /** ServerTCP cannot listen on port 0 (it means 502 there): take a free port, retrying if another test took it. */
  async function listen(): Promise<void> {
    const fixed = device.port !== 0;
    for (let attempt = 0; ; attempt++) {
      const port = fixed ? device.port : await refusedPort();
      try {
        server = new ServerTCP(device.vector, { host: '127.0.0.1', port, unitID: 255 });
        await new Promise<void>((resolve, reject) => {
          server.once('initialized', () => resolve());
          server.once('serverError', reject);
        });
        device.port = port;
        break;
      } catch (err) {
        if (fixed || (err as { code?: string }).code !== 'EADDRINUSE' || attempt >= 5) throw err;
      }
    }
    server.on('socketError', () => undefined);
  }
  await listen();

  device.dropConnections = () => {
    for (const sock of server.socks.keys()) sock.destroy();
  };
  device.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  device.restart = async () => {
    await device.close();
    await listen();
  };
  return device;
}

/** A TCP server that accepts and then does what `onData` says with each request (raw MBAP bytes). */
export async function startRawServer(
  onData: (sock: Socket, frame: Buffer) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const socks = new Set<Socket>();
  const server = createServer((sock) => {
    socks.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => socks.delete(sock));
    sock.on('data', (d) => onData(sock, d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of socks) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on which nothing listens (connect is refused). */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function device(id: string, port: number, extra: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    id,
    transport: 'tcp',
    host: '127.0.0.1',
    port,
    timeoutMs: 1000,
    connectTimeoutMs: 1000,
    maxRegistersPerRead: 125,
    maxGapRegisters: 8,
    pauseBetweenRequestsMs: 0,
    retry: { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2, jitter: 'none' },
    circuitBreaker: { failures: 3, cooldownMs: 500 },
    ...extra,
  };
}

export function meter(
  id: string,
  deviceId: string,
  points: PointConfig[],
  extra: Partial<MeterConfig> = {},
): MeterConfig {
  return { id, line: 'L1', device: deviceId, unitId: 1, pollIntervalMs: 1000, role: 'subMeter', points, ...extra };
}

export function point(
  name: string,
  quantity: string,
  table: Table,
  address: number,
  type: PointConfig['type'],
  extra: Partial<PointConfig> = {},
): PointConfig {
  return { name, quantity, table, address, type, wordOrder: 'ABCD', scale: 1, offset: 0, ...extra };
}

export function config(devices: DeviceConfig[], meters: MeterConfig[]): CollectorConfig {
  return { site: 'S1', devices, meters, batch: { maxBatch: 100, maxDelayMs: 50 }, healthIntervalMs: 100 };
}

export const log = silentLogger();
