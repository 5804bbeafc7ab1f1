/**
 * Deterministic byte mutations over corpus seeds: bit flips, interesting bytes, truncation, splicing, range
 * insertion/deletion/duplication and length-field corruption (16/32-bit big-endian fields set to boundary values).
 * Every choice comes from the given PRNG, so one seed reproduces one input sequence.
 */

import { mulberry32 } from '../test-support/prng';

/** mulberry32 (test-support/prng.ts) with an integer helper; `next()` is uniform in [0, 1). */
export function prng(seed: number): { next(): number; int(maxExclusive: number): number } {
  const next = mulberry32(seed);
  return { next, int: (max) => (max <= 0 ? 0 : Math.floor(next() * max)) };
}

export type Rng = ReturnType<typeof prng>;

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x22, 0x2c, 0x0a, 0x3b, 0x7b, 0x5b];
const INTERESTING_16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x40000000, 0x40000001, 0x10000];

type Mutator = (input: Buffer, rng: Rng, corpus: readonly Buffer[]) => Buffer;

const pos = (b: Buffer, rng: Rng) => rng.int(Math.max(1, b.length));

const MUTATORS: Mutator[] = [
  function bitFlip(b, rng) {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    const n = 1 + rng.int(4);
    for (let i = 0; i < n; i++) {
      const p = rng.int(out.length);
      out[p] = out[p]! ^ (1 << rng.int(8));
    }
    return out;
  },
  function interestingByte(b, rng) {
    if (b.length === 0) return Buffer.from([INTERESTING_8[rng.int(INTERESTING_8.length)]!]);
    const out = Buffer.from(b);
    out[rng.int(out.length)] = INTERESTING_8[rng.int(INTERESTING_8.length)]!;
    return out;
  },
  function randomByte(b, rng) {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    out[rng.int(out.length)] = rng.int(256);
    return out;
  },
  function truncate(b, rng) {
    return b.subarray(0, rng.int(b.length + 1));
  },
  function dropHead(b, rng) {
    return b.subarray(rng.int(b.length + 1));
  },
  function deleteRange(b, rng) {
    const from = pos(b, rng);
    const len = 1 + rng.int(16);
    return Buffer.concat([b.subarray(0, from), b.subarray(from + len)]);
  },
  function duplicateRange(b, rng) {
    const from = pos(b, rng);
    const slice = b.subarray(from, from + 1 + rng.int(32));
    const at = pos(b, rng);
    return Buffer.concat([b.subarray(0, at), slice, b.subarray(at)]);
  },
  function insertRandom(b, rng) {
    const bytes = Buffer.alloc(1 + rng.int(8));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
    const at = pos(b, rng);
    return Buffer.concat([b.subarray(0, at), bytes, b.subarray(at)]);
  },
  function splice(b, rng, corpus) {
    const other = corpus[rng.int(corpus.length)] ?? b;
    return Buffer.concat([b.subarray(0, pos(b, rng)), other.subarray(pos(other, rng))]);
  },
  function lengthField16(b, rng) {
    if (b.length < 2) return b;
    const out = Buffer.from(b);
    const p = rng.int(out.length - 1);
    const v =
      rng.next() < 0.5
        ? INTERESTING_16[rng.int(INTERESTING_16.length)]!
        : (out.readUInt16BE(p) + rng.int(9) - 4) & 0xffff;
    out.writeUInt16BE(v, p);
    return out;
  },
  function lengthField32(b, rng) {
    if (b.length < 4) return b;
    const out = Buffer.from(b);
    const p = rng.next() < 0.5 ? 0 : rng.int(out.length - 3);
    const v =
      rng.next() < 0.5 ? INTERESTING_32[rng.int(INTERESTING_32.length)]! : (out.readUInt32BE(p) + rng.int(9) - 4) >>> 0;
    out.writeUInt32BE(v >>> 0, p);
    return out;
  },
  function asciiDigits(b, rng) {
    // text formats: replace a run of digits with a boundary number
    const text = b.toString('latin1');
    const m = [...text.matchAll(/-?\d+(\.\d+)?/g)];
    if (m.length === 0) return b;
    const hit = m[rng.int(m.length)]!;
    const repl = ['0', '-1', '1e309', 'NaN', '9007199254740993', '-0', '', '1.5', '99999999999999999999', 'null'][
      rng.int(10)
    ]!;
    return Buffer.from(text.slice(0, hit.index) + repl + text.slice((hit.index ?? 0) + hit[0].length), 'latin1');
  },
];

/** Applies 1–4 stacked mutations to `input`; `maxBytes` caps the result. */
export function mutate(input: Buffer, rng: Rng, corpus: readonly Buffer[], maxBytes: number): Buffer {
  let out = input;
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) out = MUTATORS[rng.int(MUTATORS.length)]!(out, rng, corpus);
  return out.length > maxBytes ? out.subarray(0, maxBytes) : out;
}
