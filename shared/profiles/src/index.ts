export * from './types';
export {
  registerCount,
  decodeRaw,
  decodeRawAt,
  encodeRaw,
  bitsOf,
  intRange,
  isFloat,
  isUnsigned,
  is64BitInt,
} from './codec';
export {
  decodePoint,
  pointDecoder,
  type PointDecoder,
  encodePoint,
  defaultModulus,
  effectiveModulus,
  pointRange,
} from './point';
export { scaleInteger, divideToInteger } from './decimal';
export { PROFILES, getProfile } from './catalogue';
export { registerMapClaims } from './claims';
export {
  appendCrc,
  characterBits,
  characterMs,
  crc16Modbus,
  crcMatches,
  FIXED_TIMING_ABOVE_BAUD,
  formatSerialLine,
  frameMs,
  interFrameSilenceMs,
  type Parity,
  type SerialLine,
} from './serial-line';
