import type { Encoder as CborEncoder, Options as CborOptions } from 'cbor-x' with { 'resolution-mode': 'import' };
import { PcfError } from '@pcf-edge/core';
import { MAX_FRAME_LENGTH } from './protocol';

/**
 * CBOR payloads and length-prefixed frames, shared by the client and the local Stream Manager.
 * cbor-x is configured for plain CBOR: maps decode to plain objects, byte strings to (copied) Buffers, 64-bit
 * integers to bigint (integers that fit 32 bits decode to numbers). `toWire` drops absent/null fields and encodes
 * integers above 2^32 as 64-bit integers (cbor-x would otherwise write numbers that large as floats).
 */
// cbor-x ships CommonJS for Node but its typings only as ESM; load the CJS build and borrow the ESM types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Encoder } = require('cbor-x') as {
  Encoder: new (options: CborOptions & { useTag259ForMaps?: boolean }) => CborEncoder;
};
const CBOR_OPTIONS = {
  useRecords: false,
  mapsAsObjects: true,
  useTag259ForMaps: false,
  tagUint8Array: false,
  copyBuffers: true,
  variableMapSize: true,
};
const cbor = new Encoder(CBOR_OPTIONS);
/** Decodes byte strings as views into the decoded bytes instead of copies (`decodePayload` with `views`). */
const cborViews = new Encoder({ ...CBOR_OPTIONS, copyBuffers: false });

export type Payload = Record<string, unknown>;

export function toWire(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') {
    return Number.isInteger(value) && Math.abs(value) > 0xffff_ffff ? BigInt(value) : value;
  }
  if (typeof value === 'bigint') {
    return value >= -0xffff_ffffn && value <= 0xffff_ffffn ? Number(value) : value;
  }
  if (typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toWire);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const w = toWire(v);
    if (w !== undefined) out[k] = w;
  }
  return out;
}

export function encodePayload(payload: Payload): Buffer {
  return Buffer.from(cbor.encode(toWire(payload)));
}

/**
 * Decodes a frame payload; anything but a CBOR map is ERR_SM_PROTOCOL. Byte strings are copies, or with
 * `byteStrings: 'views'` views into `bytes` (no copy) for a receiver that keeps none of them past the request
 * (the local Stream Manager, whose appends go straight into its database).
 */
export function decodePayload(bytes: Buffer, opts: { byteStrings?: 'copies' | 'views' } = {}): Payload {
  let value: unknown;
  try {
    value = (opts.byteStrings === 'views' ? cborViews : cbor).decode(bytes);
  } catch (err) {
    throw new PcfError('ERR_SM_PROTOCOL', `undecodable CBOR payload: ${(err as Error).message}`, {}, { cause: err });
  }
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Buffer.isBuffer(value) ||
    value instanceof Map
  ) {
    throw new PcfError('ERR_SM_PROTOCOL', 'frame payload is not a CBOR map');
  }
  return value as Payload;
}

/** Frame: int32 BE L = 1 + payload length, int8 op, payload. */
export function encodeFrame(op: number, payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(5);
  header.writeInt32BE(payload.length + 1, 0);
  header.writeInt8(op, 4);
  return Buffer.concat([header, payload]);
}

/** Top-level byte strings from this size on are written by reference by `encodeFrameParts`, not copied. */
const BY_REFERENCE_BYTES = 4096;

/** CBOR head of a data item: major type and argument (RFC 8949 §3). */
function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  const head = Buffer.allocUnsafe(n < 0x1_0000 ? 3 : 5);
  head[0] = (major << 5) | (n < 0x1_0000 ? 25 : 26);
  if (n < 0x1_0000) head.writeUInt16BE(n, 1);
  else head.writeUInt32BE(n, 1);
  return head;
}

/** Bytes of the head of the CBOR data item at the start of `bytes`. */
function headLength(bytes: Uint8Array): number {
  const info = bytes[0]! & 0x1f;
  return info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : 9;
}

/**
 * `encodeFrame(op, encodePayload(body))` as parts to write in order (one writev), without copying the large
 * byte strings at the top level of `body` (an AppendMessage payload): the first part holds the frame header and
 * every other field, each large byte string follows as its own part after its key and CBOR head. The receiver
 * decodes the same map (its large byte-string fields come last).
 */
export function encodeFrameParts(op: number, body: Payload): Buffer[] {
  const small: Record<string, unknown> = {};
  const large: [string, Buffer][] = [];
  for (const [k, v] of Object.entries(toWire(body) as Record<string, unknown>)) {
    if (Buffer.isBuffer(v) && v.length >= BY_REFERENCE_BYTES) large.push([k, v]);
    else small[k] = v;
  }
  const map = cbor.encode(small);
  const pieces: Uint8Array[] = [
    Buffer.alloc(5),
    cborHead(5, Object.keys(small).length + large.length),
    map.subarray(headLength(map)),
  ];
  const parts: Buffer[] = [];
  for (const [k, v] of large) {
    pieces.push(cbor.encode(k), cborHead(2, v.length));
    parts.push(Buffer.concat(pieces), v);
    pieces.length = 0;
  }
  if (pieces.length > 0) parts.push(Buffer.concat(pieces));
  const length = parts.reduce((n, p) => n + p.length, 0) - 4;
  parts[0]!.writeInt32BE(length, 0);
  parts[0]!.writeInt8(op, 4);
  return parts;
}

export interface Frame {
  op: number;
  payload: Buffer;
}

/**
 * Incremental frame parser: feed it TCP chunks in order; it returns every complete frame. A chunk may hold
 * several frames or part of one. With `expectVersionByte`, the first byte of the stream is the peer's
 * connect-version byte, reported through `versionByte`. Throws ERR_SM_PROTOCOL on a length outside 1…maxLength.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  versionByte: number | undefined;

  constructor(
    private expectVersionByte: boolean,
    private readonly maxLength = MAX_FRAME_LENGTH,
  ) {}

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    if (this.expectVersionByte) {
      if (this.buffered < 1) return frames;
      const all = this.take(this.buffered);
      this.versionByte = all[0];
      this.expectVersionByte = false;
      this.chunks = all.length > 1 ? [all.subarray(1)] : [];
      this.buffered = all.length - 1;
    }
    while (this.buffered >= 5) {
      const head = this.peek(5);
      const length = head.readInt32BE(0);
      if (length < 1 || length > this.maxLength) {
        throw new PcfError('ERR_SM_PROTOCOL', `invalid frame length ${length} (allowed 1…${this.maxLength})`, {
          length,
        });
      }
      if (this.buffered < 4 + length) break;
      const bytes = this.take(4 + length);
      frames.push({ op: bytes.readInt8(4), payload: bytes.subarray(5) });
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged;
  }

  private take(n: number): Buffer {
    const merged = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = merged.length > n ? [merged.subarray(n)] : [];
    this.buffered -= n;
    return merged.subarray(0, n);
  }
}

/** An int64 field as bigint (it may arrive as a number or a bigint). */
export function int64(value: unknown, field: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new PcfError('ERR_SM_PROTOCOL', `field ${field} is not an integer`, { field });
}

/** An optional integer field that fits a JS number. */
export function optNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}
