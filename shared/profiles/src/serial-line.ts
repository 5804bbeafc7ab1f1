/**
 * Modbus RTU on a serial line: the CRC and the timing both ends of a bus agree on, after "MODBUS over Serial Line
 * Specification and Implementation Guide V1.02" (§2.5.1 RTU framing, §2.5.1.2 CRC, §2.5.1.1 inter-frame delays).
 * Used by the collector's RTU link and by the simulator's RTU server, so a simulated line and a polled one keep
 * the same time.
 */

export type Parity = 'none' | 'even' | 'odd';

/** What decides how long a character takes on the line. RTU carries 8 data bits per character. */
export interface SerialLine {
  /** Bits per second. */
  baudRate: number;
  parity: Parity;
  dataBits: 8;
  stopBits: 1 | 2;
}

/** Above this baud rate the silences are fixed (§2.5.1.1): 1.75 ms between frames. */
export const FIXED_TIMING_ABOVE_BAUD = 19200;
const FIXED_INTER_FRAME_MS = 1.75;

/** Bits per character: 1 start + data bits + 1 parity bit unless `none` + stop bits (11 for 8E1, 10 for 8N1). */
export function characterBits(line: SerialLine): number {
  return 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
}

/** Time of one character on the line, ms. */
export function characterMs(line: SerialLine): number {
  return (characterBits(line) * 1000) / line.baudRate;
}

/** Time `bytes` characters take on the line, back to back, ms. */
export function frameMs(line: SerialLine, bytes: number): number {
  return bytes * characterMs(line);
}

/**
 * The silence that ends a frame and must separate two frames (t3.5): 3.5 character times, fixed at 1.75 ms above
 * 19,200 baud, ms.
 */
export function interFrameSilenceMs(line: SerialLine): number {
  return line.baudRate > FIXED_TIMING_ABOVE_BAUD ? FIXED_INTER_FRAME_MS : 3.5 * characterMs(line);
}

/** `9600 8E1`: how a line is written on a meter's display and in logs. */
export function formatSerialLine(line: SerialLine): string {
  return `${line.baudRate} ${line.dataBits}${line.parity[0]?.toUpperCase() ?? ''}${line.stopBits}`;
}

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * CRC-16/MODBUS of `buf[start, end)`: polynomial 0x8005 reflected (0xA001), initial 0xFFFF, no final XOR. On the
 * wire it follows the frame low byte first (e.g. `01 03 00 00 00 0A` → CRC 0xCDC5, sent `C5 CD`).
 */
export function crc16Modbus(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ (buf[i] as number)) & 0xff] as number);
  return crc;
}

/** True when the last two bytes of `frame` are the CRC of the bytes before them (low byte first). */
export function crcMatches(frame: Uint8Array): boolean {
  const n = frame.length;
  if (n < 3) return false;
  return crc16Modbus(frame, 0, n - 2) === ((frame[n - 2] as number) | ((frame[n - 1] as number) << 8));
}

/** Writes the CRC of `frame[0, n − 2)` into its last two bytes (low byte first) and returns the frame. */
export function appendCrc(frame: Buffer): Buffer {
  const n = frame.length;
  frame.writeUInt16LE(crc16Modbus(frame, 0, n - 2), n - 2);
  return frame;
}
