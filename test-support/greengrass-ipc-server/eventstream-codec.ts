import { crc32 } from 'node:zlib';

/**
 * The `application/vnd.amazon.eventstream` binary framing, as aws-c-event-stream writes and reads it:
 *
 *   prelude  : total length (u32 BE, whole message incl. CRCs) | headers length (u32 BE) | prelude CRC32 (u32 BE)
 *   headers  : repeated [name length u8][name utf8][type u8][value]
 *   payload  : bytes
 *   trailer  : message CRC32 (u32 BE) over everything before it, prelude CRC included
 *
 * Header value encodings by type byte: 0 true, 1 false (no value), 2 byte (i8), 3 int16, 4 int32, 5 int64
 * (8 bytes BE), 6 byte buffer and 7 string (u16 BE length + bytes), 8 timestamp (i64 ms since epoch),
 * 9 UUID (16 bytes). All integers are big-endian.
 */

export type HeaderValue =
  | { type: 'bool'; value: boolean }
  | { type: 'byte'; value: number }
  | { type: 'int16'; value: number }
  | { type: 'int32'; value: number }
  | { type: 'int64'; value: bigint }
  | { type: 'bytes'; value: Buffer }
  | { type: 'string'; value: string }
  | { type: 'timestamp'; value: bigint }
  | { type: 'uuid'; value: Buffer };

export interface EventStreamMessage {
  headers: Record<string, HeaderValue>;
  payload: Buffer;
}

/** Limits of aws-c-event-stream: 16 MiB per message, 128 KiB of headers. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
export const MAX_HEADERS_BYTES = 128 * 1024;
const PRELUDE_BYTES = 12;
const OVERHEAD_BYTES = 16;

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

function encodeHeader(name: string, h: HeaderValue): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length === 0 || nameBytes.length > 127)
    throw new FrameError(`header name '${name}' must be 1..127 bytes`);
  let typeByte: number;
  let value: Buffer;
  switch (h.type) {
    case 'bool':
      typeByte = h.value ? 0 : 1;
      value = Buffer.alloc(0);
      break;
    case 'byte':
      typeByte = 2;
      value = Buffer.alloc(1);
      value.writeInt8(h.value);
      break;
    case 'int16':
      typeByte = 3;
      value = Buffer.alloc(2);
      value.writeInt16BE(h.value);
      break;
    case 'int32':
      typeByte = 4;
      value = Buffer.alloc(4);
      value.writeInt32BE(h.value);
      break;
    case 'int64':
    case 'timestamp':
      typeByte = h.type === 'int64' ? 5 : 8;
      value = Buffer.alloc(8);
      value.writeBigInt64BE(h.value);
      break;
    case 'bytes':
    case 'string': {
      typeByte = h.type === 'bytes' ? 6 : 7;
      const body = h.type === 'bytes' ? h.value : Buffer.from(h.value, 'utf8');
      if (body.length > 0xffff) throw new FrameError(`header '${name}' value exceeds 65535 bytes`);
      value = Buffer.alloc(2 + body.length);
      value.writeUInt16BE(body.length);
      body.copy(value, 2);
      break;
    }
    case 'uuid':
      if (h.value.length !== 16) throw new FrameError(`header '${name}' UUID must be 16 bytes`);
      typeByte = 9;
      value = h.value;
      break;
  }
  return Buffer.concat([Buffer.from([nameBytes.length]), nameBytes, Buffer.from([typeByte]), value]);
}

export function encodeMessage(message: EventStreamMessage): Buffer {
  const headers = Buffer.concat(Object.entries(message.headers).map(([n, h]) => encodeHeader(n, h)));
  const total = OVERHEAD_BYTES + headers.length + message.payload.length;
  if (headers.length > MAX_HEADERS_BYTES)
    throw new FrameError(`headers of ${headers.length} bytes exceed ${MAX_HEADERS_BYTES}`);
  if (total > MAX_MESSAGE_BYTES) throw new FrameError(`message of ${total} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  const out = Buffer.alloc(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headers.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  headers.copy(out, PRELUDE_BYTES);
  message.payload.copy(out, PRELUDE_BYTES + headers.length);
  out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

function need(buf: Buffer, at: number, n: number, what: string): void {
  if (at + n > buf.length) throw new FrameError(`header block truncated in ${what}`);
}

function decodeHeaders(block: Buffer): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  let at = 0;
  while (at < block.length) {
    const nameLen = block.readUInt8(at);
    at += 1;
    if (nameLen === 0) throw new FrameError('header name of length 0');
    need(block, at, nameLen + 1, 'header name');
    const name = block.toString('utf8', at, at + nameLen);
    at += nameLen;
    const typeByte = block.readUInt8(at);
    at += 1;
    let h: HeaderValue;
    switch (typeByte) {
      case 0:
      case 1:
        h = { type: 'bool', value: typeByte === 0 };
        break;
      case 2:
        need(block, at, 1, name);
        h = { type: 'byte', value: block.readInt8(at) };
        at += 1;
        break;
      case 3:
        need(block, at, 2, name);
        h = { type: 'int16', value: block.readInt16BE(at) };
        at += 2;
        break;
      case 4:
        need(block, at, 4, name);
        h = { type: 'int32', value: block.readInt32BE(at) };
        at += 4;
        break;
      case 5:
      case 8:
        need(block, at, 8, name);
        h = { type: typeByte === 5 ? 'int64' : 'timestamp', value: block.readBigInt64BE(at) };
        at += 8;
        break;
      case 6:
      case 7: {
        need(block, at, 2, name);
        const len = block.readUInt16BE(at);
        at += 2;
        need(block, at, len, name);
        const body = Buffer.from(block.subarray(at, at + len));
        h = typeByte === 6 ? { type: 'bytes', value: body } : { type: 'string', value: body.toString('utf8') };
        at += len;
        break;
      }
      case 9:
        need(block, at, 16, name);
        h = { type: 'uuid', value: Buffer.from(block.subarray(at, at + 16)) };
        at += 16;
        break;
      default:
        throw new FrameError(`header '${name}' has unknown value type ${typeByte}`);
    }
    headers[name] = h;
  }
  return headers;
}

/**
 * Incremental decoder for a byte stream: `push` returns every complete message. A malformed frame (bad length,
 * CRC mismatch, bad header block) throws FrameError; the stream is then unusable (framing is lost).
 */
export function createFrameDecoder(): { push(chunk: Buffer): EventStreamMessage[] } {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const out: EventStreamMessage[] = [];
      while (pending.length >= PRELUDE_BYTES) {
        const total = pending.readUInt32BE(0);
        const headersLen = pending.readUInt32BE(4);
        if (crc32(pending.subarray(0, 8)) !== pending.readUInt32BE(8)) throw new FrameError('prelude CRC mismatch');
        if (total < OVERHEAD_BYTES || total > MAX_MESSAGE_BYTES)
          throw new FrameError(`message length ${total} out of range`);
        if (headersLen > MAX_HEADERS_BYTES || headersLen > total - OVERHEAD_BYTES) {
          throw new FrameError(`headers length ${headersLen} out of range for message length ${total}`);
        }
        if (pending.length < total) break;
        const frame = pending.subarray(0, total);
        pending = pending.subarray(total);
        if (crc32(frame.subarray(0, total - 4)) !== frame.readUInt32BE(total - 4))
          throw new FrameError('message CRC mismatch');
        out.push({
          headers: decodeHeaders(frame.subarray(PRELUDE_BYTES, PRELUDE_BYTES + headersLen)),
          payload: Buffer.from(frame.subarray(PRELUDE_BYTES + headersLen, total - 4)),
        });
      }
      return out;
    },
  };
}
