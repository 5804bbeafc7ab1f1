import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ModbusDevice } from '../scenario/types';
import { answerRequest, replyPdu, unitsOf, type DeviceContext, type ModbusDeviceServer } from './answer';

/** Modbus "gateway target device failed to respond": the answer for a unit id nobody serves. */
const EXC_GATEWAY_TARGET = 11;
/** MBAP header: transaction id (2), protocol id (2), length (2), unit id (1). */
const MBAP_BYTES = 7;

/**
 * A simulated Modbus TCP device (ADR 0226): our own net.Server with MBAP framing (MODBUS Messaging on TCP/IP
 * Implementation Guide V1.0b §3.1.3), several unit ids behind one port. Owning the server lets a disconnect fault
 * close the connections it accepts while the fault holds. Requests of one connection are answered in order, each
 * after its meter's replyTimeMs; a length field that cannot be a Modbus PDU closes the connection.
 */
export function createTcpDevice(device: ModbusDevice, ctx: DeviceContext): ModbusDeviceServer {
  const units = unitsOf(device, ctx.world);
  const host = device.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = device.port ?? 0;

  const reply = (sock: Socket, header: Buffer, pdu: Buffer): void => {
    const out = Buffer.allocUnsafe(MBAP_BYTES + pdu.length);
    header.copy(out, 0, 0, 4);
    out.writeUInt16BE(1 + pdu.length, 4);
    out[6] = header[6] as number;
    pdu.copy(out, MBAP_BYTES);
    if (!sock.destroyed) sock.write(out);
  };

  const serve = (sock: Socket, adu: Buffer): void => {
    const unitId = adu[6] as number;
    const functionCode = adu[7] as number;
    const unit = units.get(unitId);
    if (!unit) return reply(sock, adu, Buffer.from([functionCode | 0x80, EXC_GATEWAY_TARGET]));
    if (adu.length < MBAP_BYTES + 5) return reply(sock, adu, Buffer.from([functionCode | 0x80, 3]));
    const answer = answerRequest(unit, ctx, functionCode, adu.readUInt16BE(8), adu.readUInt16BE(10));
    if ('noReply' in answer) return;
    const pdu = replyPdu(functionCode, answer);
    const header = Buffer.from(adu.subarray(0, MBAP_BYTES));
    if (unit.replyTimeMs > 0) setTimeout(() => reply(sock, header, pdu), unit.replyTimeMs);
    else reply(sock, header, pdu);
  };

  const accept = (sock: Socket): void => {
    if (ctx.refusing(device.id)) {
      sock.destroy();
      return;
    }
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('error', (err) => ctx.log.debug({ device: device.id, err }, 'modbus socket error'));
    sock.on('close', () => sockets.delete(sock));
    let rx: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
      while (rx.length >= MBAP_BYTES) {
        const length = rx.readUInt16BE(4);
        if (length < 2 || length > 254) {
          sock.destroy();
          return;
        }
        if (rx.length < 6 + length) break;
        serve(sock, rx.subarray(0, 6 + length));
        rx = rx.subarray(6 + length);
      }
    });
  };

  const listen = (p: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = createServer(accept);
      s.once('error', reject);
      s.listen(p, host, () => {
        s.removeListener('error', reject);
        s.on('error', (err) => ctx.log.debug({ device: device.id, err }, 'modbus server error'));
        resolve(s);
      });
    });

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
      server = await listen(port);
      port = (server.address() as AddressInfo).port;
      ctx.log.info({ device: device.id, port }, 'modbus device listening');
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
