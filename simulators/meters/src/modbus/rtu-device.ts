import { preciseTimeout, type PreciseTimer } from '@pcf-edge/core';
import { appendCrc, crcMatches, frameMs, interFrameSilenceMs, type SerialLine } from '@pcf-edge/profiles';
import type { Fault } from '../faults';
import type { ModbusDevice } from '../scenario/types';
import { answerRequest, replyPdu, unitsOf, type DeviceContext, type ModbusDeviceServer, type Unit } from './answer';
import { rtuEndpoint, type RtuEndpoint } from './rtu-endpoint';

/** What happened on a simulated RTU line. */
export interface RtuLineStats {
  /** Frames received (any unit id). */
  requests: number;
  replies: number;
  /** Replies sent with a corrupted CRC (crcError fault). */
  corrupted: number;
  /** Request frames whose CRC failed: ignored, as a real device does. */
  badRequests: number;
  /** Requests that began less than the inter-frame silence after the previous reply ended. */
  silenceViolations: number;
  /** Requests that arrived while a reply was still due: both are lost, as on a half-duplex bus. */
  collisions: number;
}

export interface RtuDeviceServer extends ModbusDeviceServer {
  readonly stats: RtuLineStats;
}

/**
 * Bytes of the request frame starting `buf`: 8 for FC1–FC6, 9 + byte count for FC15/16, else all that came (an
 * unknown function is answered with exception 1 if its CRC holds); 0 while too few bytes are in to tell.
 */
function requestBytes(buf: Buffer): number {
  if (buf.length < 2) return 0;
  const fc = buf[1] as number;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return buf.length < 7 ? 0 : 9 + (buf[6] as number);
  return buf.length;
}

/** A PTY carries no line time: bytes of one frame arrive together, so a partial frame older than this is noise. */
const STALE_PARTIAL_MS = 100;

/**
 * A simulated Modbus RTU bus (ADR 0226): a serial device (one end of a PTY pair) or a TCP port (RTU over TCP, a
 * converter in transparent mode), several unit ids on it. A PTY moves bytes instantly, so the bus keeps the line's
 * time itself: a reply to a request that arrived at A is written at
 *   A + frame(request) + t3.5 + replyTimeMs(meter) + frame(reply)
 * (character = start + 8 data + parity + stop bits at baudRate; t3.5 the inter-frame silence), i.e. when its last
 * byte would arrive on a real line. A unit id nobody serves is silent; so is a meter under a noReply fault (a dead
 * unit). A crcError fault flips the CRC of the replies it picks.
 */
export function createRtuDevice(device: ModbusDevice, ctx: DeviceContext): RtuDeviceServer {
  const units = unitsOf(device, ctx.world);
  const line: SerialLine = device.serial ?? { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 };
  const silenceMs = interFrameSilenceMs(line);
  const stats: RtuLineStats = {
    requests: 0,
    replies: 0,
    corrupted: 0,
    badRequests: 0,
    silenceViolations: 0,
    collisions: 0,
  };
  /** performance.now() when the last reply was written, and the reply still due (one at a time on a bus). */
  let lastReplyAt = -Infinity;
  let pending: PreciseTimer | null = null;
  /** Replies seen per crcError fault, to corrupt every n-th. */
  const crcCounts = new Map<string, number>();

  const crcFault = (unit: Unit): boolean => {
    const meter = ctx.world.meters.get(unit.meterId);
    const f = meter
      ? ctx.faults.activeTransport(meter.faultTargets, ctx.clock.now()).find((x: Fault) => x.type === 'crcError')
      : undefined;
    if (!f) return false;
    const n = crcCounts.get(f.id) ?? 0;
    crcCounts.set(f.id, n + 1);
    return n % (f.every ?? 1) === 0;
  };

  const onFrame = (frame: Buffer, at: number, write: (b: Buffer) => void): void => {
    stats.requests++;
    if (!crcMatches(frame)) {
      stats.badRequests++;
      return;
    }
    if (pending) {
      stats.collisions++;
      pending.cancel();
      pending = null;
      return;
    }
    if (at - lastReplyAt < silenceMs) stats.silenceViolations++;
    const unit = units.get(frame[0] as number);
    if (!unit) return;
    const functionCode = frame[1] as number;
    const answer = answerRequest(unit, ctx, functionCode, frame.readUInt16BE(2), frame.readUInt16BE(4));
    if ('noReply' in answer) return;
    const pdu = replyPdu(functionCode, answer);
    const reply = Buffer.allocUnsafe(pdu.length + 3);
    reply[0] = frame[0] as number;
    pdu.copy(reply, 1);
    appendCrc(reply);
    if (crcFault(unit)) {
      reply[reply.length - 1] = (reply[reply.length - 1] as number) ^ 0xff;
      stats.corrupted++;
    }
    const dueMs = frameMs(line, frame.length) + silenceMs + unit.replyTimeMs + frameMs(line, reply.length);
    pending = preciseTimeout(
      () => {
        pending = null;
        // Taken before the write: the bytes cannot reach the master earlier, and a process preempted between the
        // write and a later reading of the clock would count the master's timely next request as a violation.
        lastReplyAt = performance.now();
        write(reply);
        stats.replies++;
      },
      at + dueMs - performance.now(),
    );
  };

  /** Splits what one source (the serial port, one TCP connection) receives into request frames. */
  const framer = (write: (b: Buffer) => void) => {
    let rx: Buffer = Buffer.alloc(0);
    let lastAt = 0;
    return (chunk: Buffer): void => {
      const at = performance.now();
      rx = rx.length === 0 || at - lastAt > STALE_PARTIAL_MS ? chunk : Buffer.concat([rx, chunk]);
      lastAt = at;
      for (let n = requestBytes(rx); n > 0 && rx.length >= n; n = requestBytes(rx)) {
        onFrame(Buffer.from(rx.subarray(0, n)), at, write);
        rx = rx.subarray(n);
      }
    };
  };

  const endpoint: RtuEndpoint = rtuEndpoint(device, ctx, framer);
  return {
    id: device.id,
    stats,
    get port() {
      return endpoint.port;
    },
    get running() {
      return endpoint.running;
    },
    async start() {
      await endpoint.start();
    },
    async stop() {
      pending?.cancel();
      pending = null;
      await endpoint.stop();
    },
    dropConnections: () => endpoint.dropConnections(),
  };
}
