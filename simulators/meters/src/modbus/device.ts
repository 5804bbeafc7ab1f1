import type { Server, Socket } from 'node:net';
import type { Clock, Logger } from '@pcf-edge/core';
import type { RegisterTable } from '@pcf-edge/profiles';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import type { FaultBook } from '../faults';
import type { World } from '../model/world';
import type { ModbusDevice } from '../scenario/types';
import { freePort, isAddrInUse } from '../net';
import { indexRegisters, readRegisters, type RegisterIndex } from './registers';

/** Modbus "gateway target device failed to respond": the answer for a unit id nobody serves. */
const EXC_GATEWAY_TARGET = 11;

/** One simulated Modbus TCP device: a port with one or more unit ids behind it. */
export interface ModbusDeviceServer {
  readonly id: string;
  /** The bound port (the configured one, or the ephemeral one chosen at the first start). */
  readonly port: number;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Closes every open client socket. */
  dropConnections(): void;
}

export interface DeviceContext {
  world: World;
  faults: FaultBook;
  clock: Clock;
  log: Logger;
  /** True while a disconnect fault holds: new connections are closed at once. */
  refusing(deviceId: string): boolean;
}

type Cb<T> = (err: { modbusErrorCode: number } | null, value?: T) => void;

export function createModbusDevice(device: ModbusDevice, ctx: DeviceContext): ModbusDeviceServer {
  const units = new Map<number, { meterId: string; index: RegisterIndex; maxPerRead: number }>();
  for (const m of device.meters) {
    const info = ctx.world.modbus.get(m.id);
    if (info)
      units.set(m.unitId, {
        meterId: m.id,
        index: indexRegisters(info.profile.points),
        maxPerRead: Math.min(125, info.profile.maxRegistersPerRead ?? 125),
      });
  }
  let server: ServerTCP | undefined;
  let port = device.port;

  // Errors carry an empty array: modbus-serial's FC4 handler indexes the values even when an error is passed.
  const read = (table: RegisterTable, address: number, length: number, unitId: number, cb: Cb<number[]>): void => {
    const unit = units.get(unitId);
    const meter = unit && ctx.world.meters.get(unit.meterId);
    if (!unit || !meter) return cb({ modbusErrorCode: EXC_GATEWAY_TARGET }, []);
    const r = readRegisters(
      meter,
      unit.maxPerRead,
      unit.index,
      { table, address, length },
      ctx.clock.now(),
      ctx.faults,
      ctx.world.seed,
    );
    if ('noReply' in r) return;
    if ('exception' in r) return cb({ modbusErrorCode: r.exception }, []);
    cb(null, r.words);
  };
  const single = (table: RegisterTable) => (addr: number, unitId: number, cb: Cb<number>) =>
    read(table, addr, 1, unitId, (err, words) => (err ? cb(err) : cb(null, words?.[0])));
  const multiple = (table: RegisterTable) => (addr: number, len: number, unitId: number, cb: Cb<number[]>) =>
    read(table, addr, len, unitId, cb);
  const illegal = (..._args: unknown[]): void => {
    const cb = _args[_args.length - 1] as Cb<unknown>;
    cb({ modbusErrorCode: 2 });
  };
  const vector = {
    getInputRegister: single('input'),
    getHoldingRegister: single('holding'),
    getMultipleInputRegisters: multiple('input'),
    getMultipleHoldingRegisters: multiple('holding'),
    getCoil: (a: number, u: number, cb: Cb<boolean>) => illegal(a, u, cb),
    getDiscreteInput: (a: number, u: number, cb: Cb<boolean>) => illegal(a, u, cb),
    setCoil: (a: number, v: boolean, u: number, cb: Cb<void>) => illegal(a, v, u, cb),
    setRegister: (a: number, v: number, u: number, cb: Cb<void>) => illegal(a, v, u, cb),
    setRegisterArray: (a: number, v: number[], u: number, cb: Cb<void>) => illegal(a, v, u, cb),
  } as unknown as IServiceVector;

  const netServer = (s: ServerTCP): Server => (s as unknown as { _server: Server })._server;
  const listen = async (p: number): Promise<ServerTCP> => {
    const s = new ServerTCP(vector, { host: device.host, port: p, unitID: 255 });
    await new Promise<void>((resolve, reject) => {
      s.once('initialized', () => resolve());
      s.once('serverError', (err: Error | null) => reject(err ?? new Error('modbus server failed')));
    });
    return s;
  };

  return {
    id: device.id,
    get port() {
      return port;
    },
    get running() {
      return server !== undefined;
    },
    async start() {
      if (server) return;
      const ephemeral = port === 0;
      let s: ServerTCP | undefined;
      for (let attempt = 0; !s; attempt++) {
        const candidate = ephemeral ? await freePort(device.host) : port;
        try {
          s = await listen(candidate);
          port = candidate;
        } catch (err) {
          if (!ephemeral || !isAddrInUse(err) || attempt >= 5) throw err;
        }
      }
      s.on('socketError', (err: Error | null) => ctx.log.debug({ device: device.id, err }, 'modbus socket error'));
      s.on('error', (err: Error | null) => ctx.log.debug({ device: device.id, err }, 'modbus server error'));
      netServer(s).on('connection', (sock: Socket) => {
        if (ctx.refusing(device.id)) sock.destroy();
      });
      server = s;
      ctx.log.info({ device: device.id, port }, 'modbus device listening');
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = undefined;
      await new Promise<void>((resolve) => s.close(() => resolve()));
      s.removeAllListeners();
    },
    dropConnections() {
      for (const sock of server?.socks.keys() ?? []) sock.destroy();
    },
  };
}
