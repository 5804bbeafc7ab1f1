/**
 * Modbus TCP framing for the four read functions, after "MODBUS Messaging on TCP/IP Implementation Guide V1.0b"
 * §3.1.3 (MBAP header) and "MODBUS Application Protocol Specification V1.1b3" §6.1–6.4 (FC1–FC4) and §7
 * (exceptions). An ADU is the 7-byte MBAP header — transaction id (2), protocol id 0 (2), length (2: the bytes
 * that follow it, unit id included), unit id (1) — then the PDU: function code (1) and its data. Big-endian.
 */

/** Bytes of the MBAP header up to and including the length field. */
export const MBAP_PREFIX_BYTES = 6;
/** Largest value of the length field: unit id + a 253-byte PDU. */
export const MAX_MBAP_LENGTH = 254;
/** A read request ADU: header (7) + function code (1) + address (2) + quantity (2). */
export const READ_REQUEST_BYTES = 12;

/** Registers (FC3/FC4) or bits (FC1/FC2, padded to whole bytes by the device) of one reply. */
export type ReadData = number[] | boolean[];

export type ReadReply = { data: ReadData } | { exception: number } | { malformed: string };

/** The request ADU for reading `count` registers or bits from 0-based `address` of `unitId`. */
export function encodeReadRequest(
  transactionId: number,
  unitId: number,
  functionCode: number,
  address: number,
  count: number,
): Buffer {
  const b = Buffer.allocUnsafe(READ_REQUEST_BYTES);
  b.writeUInt16BE(transactionId, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(6, 4);
  b[6] = unitId;
  b[7] = functionCode;
  b.writeUInt16BE(address, 8);
  b.writeUInt16BE(count, 10);
  return b;
}

/**
 * Length of the ADU starting at `at` in `buf`: 0 while its prefix is incomplete, -1 when the length field is
 * impossible (below 2 or above 254), else 6 + length (which may exceed what `buf` holds so far).
 */
export function aduLength(buf: Buffer, at: number): number {
  if (buf.length - at < MBAP_PREFIX_BYTES) return 0;
  const length = buf.readUInt16BE(at + 4);
  return length < 2 || length > MAX_MBAP_LENGTH ? -1 : MBAP_PREFIX_BYTES + length;
}

/**
 * Parses one complete reply ADU (transaction id already matched) to a read of `functionCode` sent to `unitId`:
 * its data, an exception code, or why it is malformed. Registers come back as words 0..65535, bits LSB first.
 */
export function parseReadReply(adu: Buffer, unitId: number, functionCode: number): ReadReply {
  const protocol = adu.readUInt16BE(2);
  if (protocol !== 0) return { malformed: `protocol id ${protocol}` };
  if (adu[6] !== unitId) return { malformed: `unit id ${adu[6]}, expected ${unitId}` };
  const fc = adu[7] as number;
  if (fc === (functionCode | 0x80)) {
    return adu.length === 9 ? { exception: adu[8] as number } : { malformed: `exception reply of ${adu.length} bytes` };
  }
  if (fc !== functionCode) return { malformed: `function code ${fc}, expected ${functionCode}` };
  const byteCount = adu.length > 8 ? (adu[8] as number) : -1;
  if (adu.length !== 9 + byteCount) return { malformed: `byte count ${byteCount} in a reply of ${adu.length} bytes` };
  if (functionCode >= 3) {
    if (byteCount % 2 !== 0) return { malformed: `odd byte count ${byteCount} for registers` };
    const words = new Array<number>(byteCount / 2);
    for (let i = 0; i < words.length; i++) words[i] = adu.readUInt16BE(9 + i * 2);
    return { data: words };
  }
  const bits = new Array<boolean>(byteCount * 8);
  for (let i = 0; i < bits.length; i++) bits[i] = (((adu[9 + (i >> 3)] as number) >> (i & 7)) & 1) === 1;
  return { data: bits };
}
