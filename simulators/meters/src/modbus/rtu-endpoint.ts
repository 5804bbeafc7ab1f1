import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { SerialPort } from 'serialport';
import type { ModbusDevice } from '../scenario/types';
import type { DeviceContext } from './answer';

/** Where an RTU bus meets its master: a serial device, or a TCP port of a simulated converter. */
export interface RtuEndpoint {
  /** The bound TCP port; 0 for a serial device. */
  readonly port: number;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  dropConnections(): void;
}

/** Makes the byte handler of one source, given how to write back to it. */
export type Framer = (write: (b: Buffer) => void) => (chunk: Buffer) => void;

export function rtuEndpoint(device: ModbusDevice, ctx: DeviceContext, framer: Framer): RtuEndpoint {
  return device.transport === 'rtu' ? serialEndpoint(device, ctx, framer) : tcpEndpoint(device, ctx, framer);
}

/** The serial device `serial.path` (one end of a PTY pair), opened with the line settings; old input flushed. */
function serialEndpoint(device: ModbusDevice, ctx: DeviceContext, framer: Framer): RtuEndpoint {
  const { path, baudRate, parity, dataBits, stopBits } = device.serial ?? {};
  if (!path || !baudRate) throw new Error(`device ${device.id}: rtu needs serial.path and baudRate`);
  let port: SerialPort | undefined;
  return {
    port: 0,
    get running() {
      return port !== undefined;
    },
    async start() {
      if (port) return;
      const { SerialPort } = await import('serialport'); // native: loaded only when a scenario has a serial bus
      const p = new SerialPort({ path, baudRate, parity, dataBits, stopBits, autoOpen: false });
      await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
      await new Promise<void>((resolve, reject) => p.flush((err) => (err ? reject(err) : resolve())));
      p.on('error', (err) => ctx.log.debug({ device: device.id, err }, 'modbus serial error'));
      p.on('close', () => {
        if (port === p) port = undefined;
      });
      p.on(
        'data',
        framer((b) => void p.write(b)),
      );
      port = p;
      ctx.log.info({ device: device.id, path }, 'modbus rtu bus open');
    },
    async stop() {
      const p = port;
      if (!p) return;
      port = undefined;
      p.removeAllListeners('data');
      if (p.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
    },
    dropConnections() {},
  };
}

/** RTU over TCP: a converter in transparent mode; every connection feeds the same bus. */
function tcpEndpoint(device: ModbusDevice, ctx: DeviceContext, framer: Framer): RtuEndpoint {
  const host = device.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let bound = device.port ?? 0;
  const accept = (sock: Socket): void => {
    if (ctx.refusing(device.id)) {
      sock.destroy();
      return;
    }
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('error', (err) => ctx.log.debug({ device: device.id, err }, 'modbus socket error'));
    sock.on('close', () => sockets.delete(sock));
    sock.on(
      'data',
      framer((b) => {
        if (!sock.destroyed) sock.write(b);
      }),
    );
  };
  return {
    get port() {
      return bound;
    },
    get running() {
      return server !== undefined;
    },
    async start() {
      if (server) return;
      const s = createServer(accept);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(bound, host, () => {
          s.removeListener('error', reject);
          resolve();
        });
      });
      s.on('error', (err) => ctx.log.debug({ device: device.id, err }, 'modbus server error'));
      server = s;
      bound = (s.address() as AddressInfo).port;
      ctx.log.info({ device: device.id, port: bound }, 'modbus rtu-over-tcp listening');
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = undefined;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    dropConnections() {
      for (const sock of sockets) sock.destroy();
    },
  };
}
