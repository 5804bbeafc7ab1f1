import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A raw Modbus TCP server that answers every request with caller-chosen bytes: the simulator mode for garbled and
 * truncated replies. Whatever `reply()` returns is sent as is, except that with `patchTid` the first two bytes are
 * overwritten with the request's transaction id (so a garbled body is not rejected on its id alone). With
 * `close` the connection is closed after the reply; without it the server keeps listening (a truncated reply then
 * makes the client time out).
 */
export interface GarbledReply {
  bytes: Buffer;
  patchTid: boolean;
  close: boolean;
}

export interface GarbledModbusServer {
  readonly port: number;
  /** Requests received (complete MBAP frames). */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startGarbledModbusServer(
  reply: () => GarbledReply,
  host = '127.0.0.1',
): Promise<GarbledModbusServer> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let rx = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      rx = Buffer.concat([rx, chunk]);
      while (rx.length >= 7 && rx.length >= 6 + rx.readUInt16BE(4)) {
        const tid = rx.readUInt16BE(0);
        rx = rx.subarray(6 + rx.readUInt16BE(4));
        requests++;
        const r = reply();
        const out = Buffer.from(r.bytes);
        if (r.patchTid && out.length >= 2) out.writeUInt16BE(tid, 0);
        if (r.close) socket.end(out);
        else socket.write(out);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get requests() {
      return requests;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A well-formed read reply: MBAP header (tid 0, protocol 0, length), unit, function code, byte count, data. */
export function mbapReply(unit: number, fc: number, data: Buffer, tid = 0): Buffer {
  const pdu = Buffer.concat([Buffer.from([unit, fc, data.length]), data]);
  const head = Buffer.alloc(6);
  head.writeUInt16BE(tid, 0);
  head.writeUInt16BE(pdu.length, 4);
  return Buffer.concat([head, pdu]);
}

export function mbapException(unit: number, fc: number, code: number, tid = 0): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(tid, 0);
  head.writeUInt16BE(3, 4);
  return Buffer.concat([head, Buffer.from([unit, fc | 0x80, code])]);
}
