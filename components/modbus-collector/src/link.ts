import { Socket } from 'node:net';
import ModbusRTU from 'modbus-serial';
import { PcfError, retryDelayMs, type Logger } from '@pcf-edge/core';
import type { DeviceConfig } from './config';
import type { ReadRequest } from './planner';

/** Registers (FC3/FC4) or bits (FC1/FC2, padded to whole bytes by the device) of one response. */
export type ReadData = number[] | boolean[];

export interface ReadResponse {
  data: ReadData;
  /** From the request leaving the queue to its reply, ms. */
  rttMs: number;
}

export interface LinkStats {
  requests: number;
  responses: number;
  timeouts: number;
  exceptions: number;
  connects: number;
  connectFailures: number;
  drops: number;
}

/**
 * Reads that belong together (one meter's poll). After a link failure or a unit-failure exception of one member,
 * the members still queued fail at once with the same reason instead of going to a device in doubt.
 */
export interface ReadGroup {
  failed: string | null;
}

/** Exception codes that say the unit itself is unwell (device failure, busy, gateway path/target); they fail the group and count for the breaker. */
export const UNIT_FAILURE_EXCEPTIONS: ReadonlySet<number> = new Set([4, 5, 6, 10, 11]);

interface Pending {
  request: ReadRequest;
  group: ReadGroup | undefined;
  resolve: (res: ReadResponse) => void;
  sentAt: number;
  reject: (err: PcfError) => void;
}

function linkError(
  code: 'ERR_MODBUS_TIMEOUT' | 'ERR_MODBUS_EXCEPTION' | 'ERR_MODBUS_DISCONNECTED',
  reason: string,
  extra: Record<string, unknown> = {},
): PcfError {
  return new PcfError(code, reason, { reason, ...extra });
}

/** Registers (FC3/FC4) must come back exactly as many as asked; bits (FC1/FC2) padded to whole bytes. */
export function replySizeMismatch(functionCode: number, count: number, data: ReadData): string | null {
  const got = Array.isArray(data) ? data.length : 0;
  if (functionCode >= 3) return got === count ? null : `${count} registers asked, ${got} received`;
  return got >= count && got < count + 8 ? null : `${count} bits asked, ${got} received`;
}

type RequestFn = (
  unit: number,
  address: number,
  count: number,
  next: (err: Error | null, res?: { data: ReadData }) => void,
) => void;

/**
 * One Modbus TCP connection to a device, with its own FIFO queue. Guarantees: at most one request in flight;
 * every `read` settles exactly once (data, or a PcfError whose `details.reason` is a short quality reason);
 * a timeout, a reply with an unexpected transaction id, a malformed reply or a far-end close drops the socket,
 * and the next request reconnects after a capped exponential backoff. While backing off, queued and new reads
 * fail at once with ERR_MODBUS_DISCONNECTED, so a dead device never holds its callers for longer than one
 * connect or request timeout.
 */
export class DeviceLink {
  readonly stats: LinkStats = {
    requests: 0,
    responses: 0,
    timeouts: 0,
    exceptions: 0,
    connects: 0,
    connectFailures: 0,
    drops: 0,
  };
  private readonly queue: Pending[] = [];
  private client: ModbusRTU | null = null;
  private socket: Socket | null = null;
  private connecting = false;
  private inFlight: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pauseTimer: NodeJS.Timeout | null = null;
  private sentTid = -1;
  private rx: Buffer | null = null;
  private failedAttempts = 0;
  private retryAt = 0;
  private lastError = '';
  private closed = false;

  constructor(
    readonly device: DeviceConfig,
    private readonly log: Logger,
  ) {}

  read(request: ReadRequest, group?: ReadGroup): Promise<ReadResponse> {
    if (this.closed) return Promise.reject(linkError('ERR_MODBUS_DISCONNECTED', 'collector stopping'));
    return new Promise<ReadResponse>((resolve, reject) => {
      this.queue.push({ request, group, resolve, reject, sentAt: 0 });
      this.pump();
    });
  }

  get connected(): boolean {
    return this.client !== null && this.client.isOpen;
  }

  /** Fails everything queued and closes the socket. */
  close(): void {
    this.closed = true;
    this.drop('collector stopping', false);
    this.failQueue('collector stopping');
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
  }

  private pump(): void {
    if (this.inFlight || this.connecting || this.pauseTimer || this.queue.length === 0) return;
    if (!this.connected) {
      if (this.client) {
        this.drop('port not open', true);
        return;
      }
      if (Date.now() < this.retryAt) {
        this.failQueue(`disconnected (${this.lastError}); reconnecting in ${this.retryAt - Date.now()} ms`);
        return;
      }
      this.connect();
      return;
    }
    let op = this.queue.shift();
    while (op?.group?.failed) {
      op.reject(linkError('ERR_MODBUS_DISCONNECTED', op.group.failed));
      op = this.queue.shift();
    }
    if (op) this.send(op);
  }

  private failQueue(reason: string): void {
    for (const op of this.queue.splice(0)) op.reject(linkError('ERR_MODBUS_DISCONNECTED', reason));
  }

  private connect(): void {
    this.connecting = true;
    const socket = new Socket();
    const { host, port, connectTimeoutMs } = this.device;
    const fail = (reason: string) => {
      clearTimeout(t);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      this.connecting = false;
      this.stats.connectFailures++;
      this.scheduleRetry(reason);
      this.failQueue(reason);
    };
    const t = setTimeout(() => fail('connect timeout'), connectTimeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => fail(`connect failed: ${err.code ?? err.message}`));
    socket.once('connect', () => {
      clearTimeout(t);
      if (this.closed) {
        socket.destroy();
        this.connecting = false;
        return;
      }
      socket.removeAllListeners('error');
      this.attach(socket);
      this.connecting = false;
      this.pump();
    });
    socket.connect({ host, port });
  }

  /** Hands a connected socket to modbus-serial and watches its frames (transaction ids) and its close. */
  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    const client = new ModbusRTU();
    client.on('error', () => undefined); // socket errors surface as 'close' below
    const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
    (socket as unknown as { write: (chunk: Buffer) => boolean }).write = (chunk: Buffer) => {
      if (chunk.length >= 8) this.sentTid = chunk.readUInt16BE(0);
      return write(chunk);
    };
    socket.prependListener('data', (chunk: Buffer) => this.checkFrames(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastError = err.code ?? err.message;
    });
    socket.on('close', () => {
      if (this.socket === socket)
        this.drop(`connection closed by device${this.lastError ? ` (${this.lastError})` : ''}`, true);
    });
    this.socket = socket;
    this.client = client;
    this.rx = null;
    this.stats.connects++;
    void client.linkTCP(socket, {} as never).catch(() => undefined);
  }

  /** MBAP framing of everything received: a frame whose transaction id is not the one in flight puts the link in doubt. */
  private checkFrames(socket: Socket, chunk: Buffer): void {
    let buf = this.rx ? Buffer.concat([this.rx, chunk]) : chunk;
    while (buf.length >= 6) {
      const len = buf.readUInt16BE(4) + 6;
      if (buf.length < len) break;
      const tid = buf.readUInt16BE(0);
      if (!this.inFlight || tid !== this.sentTid) {
        this.rx = null;
        if (this.socket === socket) this.drop(`transaction id mismatch (expected ${this.sentTid}, got ${tid})`, true);
        return;
      }
      buf = buf.subarray(len);
    }
    this.rx = buf.length > 0 ? Buffer.from(buf) : null;
  }

  private send(op: Pending): void {
    const client = this.client as ModbusRTU;
    const { unitId, functionCode, address, count } = op.request;
    this.inFlight = op;
    op.sentAt = performance.now();
    this.stats.requests++;
    this.timer = setTimeout(() => {
      this.stats.timeouts++;
      this.drop('timeout', true, linkError('ERR_MODBUS_TIMEOUT', 'timeout', { timeoutMs: this.device.timeoutMs }));
    }, this.device.timeoutMs);
    const fn = { 1: client.writeFC1, 2: client.writeFC2, 3: client.writeFC3, 4: client.writeFC4 }[
      functionCode
    ] as unknown as RequestFn;
    fn.call(client, unitId, address, count, (err, res) => {
      if (this.inFlight !== op) return;
      if (!err && res) {
        this.stats.responses++;
        // A reply whose byte count does not match the request leaves the link in doubt: drop it, like garbage.
        const mismatch = replySizeMismatch(functionCode, count, res.data);
        if (mismatch) {
          this.drop(`malformed reply: ${mismatch}`, true);
          return;
        }
        this.failedAttempts = 0;
        this.settle(op, null, res.data);
        return;
      }
      const modbusCode = (err as { modbusCode?: number } | null)?.modbusCode;
      if (modbusCode !== undefined) {
        this.stats.responses++;
        this.stats.exceptions++;
        this.failedAttempts = 0;
        const reason = `exception ${modbusCode}`;
        if (op.group && UNIT_FAILURE_EXCEPTIONS.has(modbusCode)) op.group.failed = reason;
        this.settle(op, linkError('ERR_MODBUS_EXCEPTION', reason, { exceptionCode: modbusCode }));
        return;
      }
      const reason = /port not open/i.test(err?.message ?? '')
        ? 'port not open'
        : `malformed reply: ${err?.message ?? 'no data'}`;
      this.drop(reason, true);
    });
  }

  private settle(op: Pending, err: PcfError | null, data?: ReadData): void {
    if (this.inFlight !== op) return;
    this.inFlight = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (err) op.reject(err);
    else op.resolve({ data: data as ReadData, rttMs: performance.now() - op.sentAt });
    const pause = this.device.pauseBetweenRequestsMs;
    if (pause > 0 && !this.closed) {
      this.pauseTimer = setTimeout(() => {
        this.pauseTimer = null;
        this.pump();
      }, pause);
    } else {
      this.pump();
    }
  }

  /**
   * Closes the current socket and fails the read in flight with `err` (default: disconnected, `reason`); `retry`
   * arms the backoff so the next request reconnects after a delay.
   */
  private drop(reason: string, retry: boolean, err?: PcfError): void {
    const socket = this.socket;
    const client = this.client;
    const op = this.inFlight;
    this.socket = null;
    this.client = null;
    this.rx = null;
    this.inFlight = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (client) client.destroy(() => undefined);
    if (socket) {
      socket.removeAllListeners('close');
      socket.destroy();
      this.stats.drops++;
      this.log.warn({ device: this.device.id, reason }, 'modbus connection dropped');
    }
    if (retry) this.scheduleRetry(reason);
    if (op?.group) op.group.failed = reason;
    if (op) op.reject(err ?? linkError('ERR_MODBUS_DISCONNECTED', reason));
    if (!this.closed) this.pump();
  }

  /** A connection that was working is reopened at once; from the second consecutive failure on, the retry policy waits. */
  private scheduleRetry(reason: string): void {
    const delay = retryDelayMs(this.device.retry, this.failedAttempts);
    this.failedAttempts++;
    this.lastError = reason;
    this.retryAt = Date.now() + delay;
  }
}
