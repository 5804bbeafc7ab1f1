/**
 * The other processes of the Modbus collector benchmark (scripts/bench/collect-modbus.ts), bundled by it and run
 * by plain node:
 *
 *   --serve N                 N modbus-serial ServerTCP device ports (the meters); sends `{ ports }` to the parent
 *                             over IPC. Register value = f(unit, address, second).
 *   --bare <kind> --plan F    a bare baseline polling the plan in file F (JSON, `BarePlan`) with no decoding and no
 *                             storing, until SIGTERM; then prints `RESULT {"requests":…,"tags":…}` on stdout.
 *                             <kind> `socket`: one net.Socket per device, the plan's read requests as MBAP frames,
 *                             replies only delimited by their length (the socket polling any Modbus TCP client
 *                             does); `modbus-serial`: one modbus-serial client per device (issue 21's bare
 *                             modbus-serial). Each meter's requests are queued at once and sent one at a time per
 *                             device, on the collector's fixed-rate schedule (phases spread over the interval).
 *                             Prints `READY` on stdout once every device is connected.
 */
import { readFileSync } from 'node:fs';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import type ModbusRTU from 'modbus-serial';
import type { IServiceVector, ServerTCP } from 'modbus-serial';

/**
 * modbus-serial, loaded on first use: the `socket` baseline must not carry a library it does not use (about 17 MB
 * of RSS), or its memory would not be the floor it stands for.
 */
function modbusSerial(): { ModbusRTU: typeof ModbusRTU; ServerTCP: typeof ServerTCP } {
  const m = createRequire(__filename)('modbus-serial') as typeof ModbusRTU & { ServerTCP: typeof ServerTCP };
  return { ModbusRTU: m, ServerTCP: m.ServerTCP };
}

export interface BareRequest {
  unitId: number;
  functionCode: 3 | 4;
  address: number;
  count: number;
  /** Points this request reads (counted as tag reads). */
  points: number;
}

export interface BarePlan {
  devices: { host: string; port: number; timeoutMs: number }[];
  /** In the collector's meter order (which sets the phases). */
  meters: { device: number; pollIntervalMs: number; requests: BareRequest[] }[];
}

/** One request at a time per device; `send` resolves when its reply (or an error) is in. */
type Sender = (r: BareRequest) => Promise<void>;

async function serve(devices: number): Promise<void> {
  const words = (addr: number, len: number, unit: number) => {
    const t = Math.floor(Date.now() / 1000);
    const out = new Array<number>(len);
    for (let i = 0; i < len; i++) out[i] = (unit * 131 + (addr + i) * 7 + t) & 0x3fff;
    return out;
  };
  const vector = {
    getInputRegister: (a: number, u: number) => words(a, 1, u)[0],
    getHoldingRegister: (a: number, u: number) => words(a, 1, u)[0],
    getMultipleInputRegisters: (a: number, n: number, u: number) => words(a, n, u),
    getMultipleHoldingRegisters: (a: number, n: number, u: number) => words(a, n, u),
  };
  const ports: number[] = [];
  for (let i = 0; i < devices; i++) ports.push(await listenOnFreePort(vector));
  process.send?.({ ports });
  process.on('disconnect', () => process.exit(0));
}

/** A ServerTCP on a port that was free a moment ago (ServerTCP reads port 0 as 502); retried if it was taken. */
async function listenOnFreePort(vector: IServiceVector): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const s = new (modbusSerial().ServerTCP)(vector, { host: '127.0.0.1', port, unitID: 255 });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('initialized', () => resolve());
        s.once('serverError', reject);
      });
      s.on('socketError', () => undefined);
      return port;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE' || attempt >= 5) throw err;
    }
  }
}

/** A raw Modbus TCP sender: 12-byte request out, reply delimited by its MBAP length, one in flight. */
async function socketSender(d: BarePlan['devices'][number]): Promise<Sender> {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(d.port, d.host, () => resolve());
  });
  socket.setNoDelay(true);
  let rx: Buffer = Buffer.alloc(0);
  let waiting: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
    while (rx.length >= 6 && rx.length >= 6 + rx.readUInt16BE(4)) {
      rx = rx.subarray(6 + rx.readUInt16BE(4));
      const done = waiting;
      waiting = null;
      done?.();
    }
  });
  let tid = 0;
  let chain = Promise.resolve();
  return (r) => {
    const send = () =>
      new Promise<void>((resolve) => {
        const b = Buffer.allocUnsafe(12);
        tid = (tid + 1) & 0xffff;
        b.writeUInt16BE(tid, 0);
        b.writeUInt16BE(0, 2);
        b.writeUInt16BE(6, 4);
        b[6] = r.unitId;
        b[7] = r.functionCode;
        b.writeUInt16BE(r.address, 8);
        b.writeUInt16BE(r.count, 10);
        waiting = resolve;
        socket.write(b);
      });
    const p = chain.then(send);
    chain = p;
    return p;
  };
}

async function modbusSerialSender(d: BarePlan['devices'][number]): Promise<Sender> {
  const client = new (modbusSerial().ModbusRTU)();
  await client.connectTCP(d.host, { port: d.port });
  client.setTimeout(d.timeoutMs);
  let chain: Promise<unknown> = Promise.resolve();
  return (r) => {
    const read = () => {
      client.setID(r.unitId);
      return r.functionCode === 3
        ? client.readHoldingRegisters(r.address, r.count)
        : client.readInputRegisters(r.address, r.count);
    };
    const p = chain.then(read, read);
    chain = p.catch(() => undefined);
    return p.then(() => undefined);
  };
}

/** Polls `plan` on the collector's fixed-rate schedule until SIGTERM, then prints the counts and exits. */
async function bare(kind: string, plan: BarePlan): Promise<void> {
  const make = kind === 'socket' ? socketSender : kind === 'modbus-serial' ? modbusSerialSender : null;
  if (!make) throw new Error(`--bare ${kind}: expected socket or modbus-serial`);
  const senders = await Promise.all(plan.devices.map(make));
  let requests = 0;
  let tags = 0;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const start = Date.now();
  plan.meters.forEach((m, i) => {
    const send = senders[m.device] as Sender;
    const base = start + Math.floor((m.pollIntervalMs * i) / plan.meters.length);
    const arm = (k: number) => {
      if (stopped) return;
      // as the collector's scheduler: due times already passed by a whole interval are skipped
      const next = k + Math.max(0, Math.floor((Date.now() - (base + k * m.pollIntervalMs)) / m.pollIntervalMs));
      const t = setTimeout(
        () => {
          timers.delete(t);
          void Promise.all(
            m.requests.map((r) =>
              send(r).then(() => {
                requests++;
                tags += r.points;
              }),
            ),
          )
            .catch(() => undefined)
            .finally(() => arm(next + 1));
        },
        Math.max(0, base + next * m.pollIntervalMs - Date.now()),
      );
      timers.add(t);
    };
    arm(0);
  });
  process.stdout.write('READY\n');
  process.once('SIGTERM', () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    process.stdout.write(`RESULT ${JSON.stringify({ requests, tags })}\n`, () => process.exit(0));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { serve: { type: 'string' }, bare: { type: 'string' }, plan: { type: 'string' } },
  });
  if (values.serve) return serve(Number(values.serve));
  if (values.bare && values.plan) return bare(values.bare, JSON.parse(readFileSync(values.plan, 'utf8')) as BarePlan);
  throw new Error('usage: collect-modbus-child --serve N | --bare socket|modbus-serial --plan <file>');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
