/**
 * Deterministic pseudo-randomness: a value is a pure function of (seed, labels), so the simulated physics at any
 * instant can be recomputed without replaying history.
 */

/** FNV-1a over the labels, then a murmur3-style finaliser; 32-bit unsigned. */
export function hash32(seed: number, ...labels: (string | number)[]): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  const text = labels.join('\u001f');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [-1, 1]. */
export function signedUnit(seed: number, ...labels: (string | number)[]): number {
  return (hash32(seed, ...labels) / 0xffffffff) * 2 - 1;
}
