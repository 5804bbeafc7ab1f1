export * from './types';
export { registerCount, decodeRaw, encodeRaw, bitsOf, intRange, isFloat, isUnsigned, is64BitInt } from './codec';
export { decodePoint, encodePoint, defaultModulus, effectiveModulus, pointRange } from './point';
export { scaleInteger, divideToInteger } from './decimal';
export { PROFILES, getProfile } from './catalogue';
