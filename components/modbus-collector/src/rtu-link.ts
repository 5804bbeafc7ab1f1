import { preciseTimeout, retryDelayMs, type Logger, type PcfError, type PreciseTimer } from '@pcf-edge/core';
import { frameMs, interFrameSilenceMs } from '@pcf-edge/profiles';
import { serialSettings, type DeviceConfig, type SerialSettings } from './config';
import {
  linkError,
  replySizeMismatch,
  UNIT_FAILURE_EXCEPTIONS,
  type DeviceLink,
  type LinkStats,
  type ReadGroup,
  type ReadResponse,
} from './link';
import type { ReadData } from './mbap';
import type { ReadRequest } from './planner';
import {
  encodeRtuReadRequest,
  expectedRtuReplyBytes,
  parseRtuReply,
  RTU_MAX_FRAME_BYTES,
  RTU_READ_REQUEST_BYTES,
  rtuReplyBytes,
} from './rtu';
import { openRtuPort, type RtuPort } from './rtu-port';

interface Pending {
  request: ReadRequest;
  group: ReadGroup | undefined;
  resolve: (res: ReadResponse) => void;
  reject: (err: PcfError) => void;
  /** performance.now() of the first send (round trips count retries). */
  sentAt: number;
  /** Times sent so far. */
  attempts: number;
}

/**
 * Modbus RTU on one bus (ADR 0225): a serial port, or a TCP connection to a converter in transparent mode, shared
 * by every unit id on it. The DeviceLink guarantees, with these for a bus:
 * - a request goes out only after the line has been quiet for the inter-frame silence (t3.5) since the last byte
 *   seen or sent, plus the device's pauseBetweenRequestsMs;
 * - a reply is complete when the bytes its request implies are in (RTU has no length field); it must pass the CRC
 *   check, else it is counted and the request is sent again up to serial.crcRetries times;
 * - the response deadline is timeoutMs beyond the line time of the request, one silence and the expected reply, so
 *   a short timeout suits every baud rate; a silent unit fails its read, its poll's group and (by its poller's
 *   circuit breaker) its next polls, while the bus stays open for the other units;
 * - bytes that arrive with no request in flight (a late reply, noise) are dropped and restart the silence; whatever
 *   is received when the deadline passes is judged as one frame;
 * - only a lost port or connection is reopened, by the device's retry policy.
 */
export class RtuLink implements DeviceLink {
  readonly stats: LinkStats = {
    requests: 0,
    responses: 0,
    timeouts: 0,
    exceptions: 0,
    connects: 0,
    connectFailures: 0,
    drops: 0,
    crcErrors: 0,
  };
  private readonly line: SerialSettings;
  /** t3.5 of the line, ms. */
  private readonly silenceMs: number;
  private readonly queue: Pending[] = [];
  private port: RtuPort | null = null;
  /** Tells the handlers of a closed port from the current one's. */
  private generation = 0;
  private opening = false;
  /** Settles when the open under way has settled and a port it found unwanted is closed. */
  private opened: Promise<void> = Promise.resolve();
  /** Settles when the last port closed is released; an open waits for it (a serial port is locked while open). */
  private released: Promise<void> = Promise.resolve();
  private inFlight: Pending | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private wait: PreciseTimer | null = null;
  private readonly rx = Buffer.allocUnsafe(RTU_MAX_FRAME_BYTES);
  private rxLen = 0;
  /** performance.now() from which the line counts as quiet for the next request. */
  private quietAt = 0;
  private failedAttempts = 0;
  private retryAt = 0;
  private lastError = '';
  private closed = false;

  constructor(
    readonly device: DeviceConfig,
    private readonly log: Logger,
  ) {
    this.line = serialSettings(device);
    this.silenceMs = interFrameSilenceMs(this.line);
  }

  read(request: ReadRequest, group?: ReadGroup): Promise<ReadResponse> {
    if (this.closed) return Promise.reject(linkError('ERR_MODBUS_DISCONNECTED', 'collector stopping'));
    return new Promise<ReadResponse>((resolve, reject) => {
      this.queue.push({ request, group, resolve, reject, sentAt: 0, attempts: 0 });
      this.pump();
    });
  }

  get connected(): boolean {
    return this.port !== null;
  }

  close(): Promise<void> {
    this.closed = true;
    this.wait?.cancel();
    this.wait = null;
    this.drop('collector stopping', false);
    this.failQueue('collector stopping');
    return this.opened.then(() => this.released);
  }

  private pump(): void {
    if (this.closed || this.inFlight || this.opening || this.wait || this.queue.length === 0) return;
    const port = this.port;
    if (!port) {
      if (Date.now() < this.retryAt) {
        this.failQueue(`disconnected (${this.lastError}); reconnecting in ${this.retryAt - Date.now()} ms`);
        return;
      }
      this.open();
      return;
    }
    const early = this.quietAt - performance.now();
    if (early > 0) {
      this.wait = preciseTimeout(() => {
        this.wait = null;
        this.pump();
      }, early);
      return;
    }
    let op = this.queue.shift();
    while (op?.group?.failed) {
      op.reject(linkError('ERR_MODBUS_DISCONNECTED', op.group.failed));
      op = this.queue.shift();
    }
    if (op) this.send(port, op);
  }

  private failQueue(reason: string): void {
    for (const op of this.queue.splice(0)) op.reject(linkError('ERR_MODBUS_DISCONNECTED', reason));
  }

  private open(): void {
    this.opening = true;
    const generation = ++this.generation;
    const handlers = {
      data: (chunk: Buffer) => {
        if (generation === this.generation) this.receive(chunk);
      },
      lost: (reason: string) => {
        if (generation === this.generation) this.drop(reason, true);
      },
    };
    this.opened = this.released
      .then(() => openRtuPort(this.device, handlers))
      .then(
        (port) => {
          this.opening = false;
          if (this.closed || generation !== this.generation) {
            this.released = port.close();
            return;
          }
          this.port = port;
          this.rxLen = 0;
          this.lastError = '';
          this.stats.connects++;
          this.quietAt = performance.now() + this.silenceMs;
          this.pump();
        },
        (err: unknown) => {
          this.opening = false;
          const reason = err instanceof Error ? err.message : String(err);
          this.stats.connectFailures++;
          this.scheduleRetry(reason);
          this.failQueue(reason);
        },
      );
  }

  private send(port: RtuPort, op: Pending): void {
    const { unitId, functionCode, address, count } = op.request;
    const now = performance.now();
    this.inFlight = op;
    this.rxLen = 0;
    op.attempts++;
    if (op.attempts === 1) op.sentAt = now;
    this.stats.requests++;
    const requestMs = frameMs(this.line, RTU_READ_REQUEST_BYTES);
    const replyMs = frameMs(this.line, rtuReplyBytes(functionCode, count));
    this.deadline = setTimeout(
      () => this.expire(),
      Math.ceil(requestMs + this.silenceMs + replyMs + this.device.timeoutMs),
    );
    this.quietAt = now + requestMs + this.silenceMs;
    port.write(encodeRtuReadRequest(unitId, functionCode, address, count));
  }

  private receive(chunk: Buffer): void {
    this.quietAt = Math.max(this.quietAt, performance.now() + this.silenceMs);
    const op = this.inFlight;
    if (!op) return;
    const room = RTU_MAX_FRAME_BYTES - this.rxLen;
    chunk.copy(this.rx, this.rxLen, 0, Math.min(room, chunk.length));
    this.rxLen += Math.min(room, chunk.length);
    const { unitId, functionCode, count } = op.request;
    const need = expectedRtuReplyBytes(this.rx, this.rxLen, unitId, functionCode, count);
    if (need > 0 && this.rxLen >= need) this.complete(op, need);
    else if (this.rxLen === RTU_MAX_FRAME_BYTES) this.complete(op, this.rxLen);
  }

  /** The deadline passed: what came is judged as one frame; nothing at all is a timeout. */
  private expire(): void {
    this.deadline = null;
    const op = this.inFlight;
    if (!op) return;
    if (this.rxLen > 0) {
      this.complete(op, this.rxLen);
      return;
    }
    this.stats.timeouts++;
    this.fail(op, linkError('ERR_MODBUS_TIMEOUT', 'timeout', { timeoutMs: this.device.timeoutMs }));
  }

  private complete(op: Pending, length: number): void {
    const { unitId, functionCode, count } = op.request;
    const reply = parseRtuReply(this.rx.subarray(0, length), unitId, functionCode);
    this.rxLen = 0;
    if ('crcError' in reply) {
      this.stats.crcErrors++;
      if (op.attempts <= this.line.crcRetries) {
        this.clearDeadline();
        this.inFlight = null;
        this.queue.unshift(op);
        this.pump();
        return;
      }
      const reason = `CRC error (${op.attempts} attempt${op.attempts === 1 ? '' : 's'})`;
      this.fail(op, linkError('ERR_MODBUS_CRC', reason, { attempts: op.attempts }));
      return;
    }
    if ('malformed' in reply) {
      this.fail(op, linkError('ERR_MODBUS_DISCONNECTED', `malformed reply: ${reply.malformed}`));
      return;
    }
    this.stats.responses++;
    this.failedAttempts = 0;
    if ('exception' in reply) {
      const code = reply.exception;
      this.stats.exceptions++;
      const reason = `exception ${code}`;
      if (op.group && UNIT_FAILURE_EXCEPTIONS.has(code)) op.group.failed = reason;
      this.settle(op, linkError('ERR_MODBUS_EXCEPTION', reason, { exceptionCode: code }));
      return;
    }
    const mismatch = replySizeMismatch(functionCode, count, reply.data);
    if (mismatch) this.fail(op, linkError('ERR_MODBUS_DISCONNECTED', `malformed reply: ${mismatch}`));
    else this.settle(op, null, reply.data);
  }

  /** A failure that leaves this unit in doubt: the rest of its poll's group fails too. */
  private fail(op: Pending, err: PcfError): void {
    if (op.group) op.group.failed = String(err.details.reason);
    this.settle(op, err);
  }

  private settle(op: Pending, err: PcfError | null, data?: ReadData): void {
    this.inFlight = null;
    this.clearDeadline();
    const pause = this.device.pauseBetweenRequestsMs;
    if (pause > 0) this.quietAt = Math.max(this.quietAt, performance.now() + pause);
    if (err) op.reject(err);
    else op.resolve({ data: data as ReadData, rttMs: performance.now() - op.sentAt });
    this.pump();
  }

  private clearDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
  }

  /** Closes a lost port (or the port at stop) and fails the read in flight; `retry` arms the retry policy. */
  private drop(reason: string, retry: boolean): void {
    const port = this.port;
    const op = this.inFlight;
    this.port = null;
    this.generation++;
    this.inFlight = null;
    this.rxLen = 0;
    this.clearDeadline();
    if (port) {
      this.released = port.close();
      this.stats.drops++;
      this.log.warn({ device: this.device.id, reason }, 'modbus rtu port dropped');
    }
    if (retry) this.scheduleRetry(reason);
    if (op?.group) op.group.failed = reason;
    if (op) op.reject(linkError('ERR_MODBUS_DISCONNECTED', reason));
    this.pump();
  }

  /** A port that was working is reopened at once; from the second consecutive failure on, the retry policy waits. */
  private scheduleRetry(reason: string): void {
    const delay = retryDelayMs(this.device.retry, this.failedAttempts);
    this.failedAttempts++;
    this.lastError = reason;
    this.retryAt = Date.now() + delay;
  }
}
