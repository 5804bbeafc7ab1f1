/**
 * Modbus RTU framing for the four read functions, after "MODBUS over Serial Line Specification and Implementation
 * Guide V1.02" §2.5.1 and the Application Protocol Specification V1.1b3 §6.1–6.4 and §7. An RTU frame is the unit
 * address (1), the PDU — function code (1) and its data — and the CRC-16 (2, low byte first). There is no length
 * field and no transaction id: a frame ends with the line's silence, and the reply to a read has a length the
 * request fixes, so the link completes a reply as soon as that many bytes are in.
 */
import { appendCrc, crcMatches } from '@pcf-edge/profiles';
import type { ReadData, ReadReply } from './mbap';

/** A read request frame: unit (1) + function code (1) + address (2) + quantity (2) + CRC (2). */
export const RTU_READ_REQUEST_BYTES = 8;
/** An exception reply: unit + function code | 0x80 + exception code + CRC. */
export const RTU_EXCEPTION_BYTES = 5;
/** The largest RTU frame (§2.5.1): 256 bytes. */
export const RTU_MAX_FRAME_BYTES = 256;

export type RtuReply = ReadReply | { crcError: true };

/** The request frame reading `count` registers or bits from 0-based `address` of `unitId`. */
export function encodeRtuReadRequest(unitId: number, functionCode: number, address: number, count: number): Buffer {
  const b = Buffer.allocUnsafe(RTU_READ_REQUEST_BYTES);
  b[0] = unitId;
  b[1] = functionCode;
  b.writeUInt16BE(address, 2);
  b.writeUInt16BE(count, 4);
  return appendCrc(b);
}

/** Bytes of the normal reply to a read: unit + function + byte count + data + CRC. */
export function rtuReplyBytes(functionCode: number, count: number): number {
  const data = functionCode >= 3 ? count * 2 : Math.ceil(count / 8);
  return 5 + data;
}

/**
 * Bytes the reply to a read of `functionCode` from `unitId` will have, judged from its first two bytes: the
 * normal reply length, 5 for an exception, or 0 when they do not start such a reply (a stray frame or noise,
 * whose end only the deadline can tell) or fewer than two bytes are in.
 */
export function expectedRtuReplyBytes(
  head: Uint8Array,
  received: number,
  unitId: number,
  functionCode: number,
  count: number,
): number {
  if (received < 2 || head[0] !== unitId) return 0;
  if (head[1] === functionCode) return rtuReplyBytes(functionCode, count);
  return head[1] === (functionCode | 0x80) ? RTU_EXCEPTION_BYTES : 0;
}

/**
 * Parses one complete frame received for a read of `functionCode` sent to `unitId`: a CRC error (checked
 * first: a corrupted frame says nothing else reliably), its data, an exception code, or why it is malformed.
 * Registers come back as words 0..65535, bits LSB first.
 */
export function parseRtuReply(frame: Buffer, unitId: number, functionCode: number): RtuReply {
  if (!crcMatches(frame)) return { crcError: true };
  if (frame[0] !== unitId) return { malformed: `unit id ${frame[0]}, expected ${unitId}` };
  const fc = frame[1] as number;
  if (fc === (functionCode | 0x80)) {
    return frame.length === RTU_EXCEPTION_BYTES
      ? { exception: frame[2] as number }
      : { malformed: `exception reply of ${frame.length} bytes` };
  }
  if (fc !== functionCode) return { malformed: `function code ${fc}, expected ${functionCode}` };
  const byteCount = frame.length > 3 ? (frame[2] as number) : -1;
  if (frame.length !== 5 + byteCount)
    return { malformed: `byte count ${byteCount} in a reply of ${frame.length} bytes` };
  if (functionCode >= 3 && byteCount % 2 !== 0) return { malformed: `odd byte count ${byteCount} for registers` };
  return { data: readData(frame, functionCode, byteCount) };
}

function readData(frame: Buffer, functionCode: number, byteCount: number): ReadData {
  if (functionCode >= 3) {
    const words = new Array<number>(byteCount >> 1);
    for (let i = 0; i < words.length; i++) words[i] = frame.readUInt16BE(3 + i * 2);
    return words;
  }
  const bits = new Array<boolean>(byteCount * 8);
  for (let i = 0; i < bits.length; i++) bits[i] = (((frame[3 + (i >> 3)] as number) >> (i & 7)) & 1) === 1;
  return bits;
}
