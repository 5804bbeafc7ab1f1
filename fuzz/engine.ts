import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { mutate, prng } from './mutate';

/**
 * A fuzz target: builds a harness once, then `run` feeds it one input at a time. `run` resolves when the input
 * ended as the invariant demands (a clear error, a dead letter, a 4xx, or a valid result) and throws
 * `InvariantError` (or anything else) when it did not. `check` (optional) proves the system still serves a
 * well-behaved peer; the engine calls it every `checkEvery` inputs and at the end.
 */
export interface FuzzTarget {
  name: string;
  /** Seed inputs written to fuzz/corpus/<name>/ by `--write-corpus`. */
  seeds(): Promise<Buffer[]> | Buffer[];
  /** Generator for fresh inputs (the rest come from mutating the corpus). */
  arbitrary: fc.Arbitrary<Uint8Array>;
  setup(): Promise<Harness>;
  /** Inputs in flight at once (network targets overlap their round trips). Default 1. */
  concurrency?: number;
  /** Per-input timeout before it counts as a hang (ms). Default 2000. */
  timeoutMs?: number;
  maxBytes?: number;
}

export interface Harness {
  run(input: Buffer): Promise<void>;
  check?(): Promise<void>;
  teardown(): Promise<void>;
}

export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Stop after this many seconds even if `runs` is not reached. */
  seconds?: number;
  checkEvery?: number;
  /** Folder for failing inputs; undefined ⇒ not saved. */
  crashDir?: string;
  corpusDir: string;
  log?: (line: string) => void;
}

export interface FuzzReport {
  target: string;
  inputs: number;
  seconds: number;
  inputsPerSecond: number;
  crashes: number;
  hangs: number;
  failures: { kind: 'crash' | 'hang'; file?: string; error: string }[];
}

export function loadCorpus(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map((n) => readFileSync(join(dir, n)));
}

export function writeCorpus(dir: string, seeds: Buffer[]): void {
  mkdirSync(dir, { recursive: true });
  for (const s of seeds) writeFileSync(join(dir, `${createHash('sha1').update(s).digest('hex').slice(0, 16)}`), s);
}

/** Deterministic input stream: 80 % mutated corpus seeds, 20 % fresh from the arbitrary (sampled in blocks). */
function* inputs(target: FuzzTarget, corpus: Buffer[], seed: number): Generator<Buffer> {
  const rng = prng(seed);
  const maxBytes = target.maxBytes ?? 64 * 1024;
  let block = 0;
  let fresh: Uint8Array[] = [];
  for (;;) {
    if (corpus.length > 0 && rng.next() < 0.8) {
      const base = corpus[rng.int(corpus.length)]!;
      yield rng.next() < 0.05 ? base : mutate(base, rng, corpus, maxBytes);
    } else {
      if (fresh.length === 0) fresh = fc.sample(target.arbitrary, { seed: seed + block++ * 7919, numRuns: 256 });
      yield Buffer.from(fresh.pop()!);
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error)
    return `${err.name}${(err as { code?: string }).code ? ` ${(err as { code?: string }).code}` : ''}: ${err.message}\n${err.stack ?? ''}`;
  return String(err);
}

/** Runs one target; resolves with its figures. Never throws for a failing input (it is counted and saved). */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const corpus = loadCorpus(options.corpusDir);
  const harness = await target.setup();
  const report: FuzzReport = {
    target: target.name,
    inputs: 0,
    seconds: 0,
    inputsPerSecond: 0,
    crashes: 0,
    hangs: 0,
    failures: [],
  };
  const timeoutMs = target.timeoutMs ?? 2000;
  const checkEvery = options.checkEvery ?? 1000;
  const deadline = options.seconds === undefined ? Infinity : Date.now() + options.seconds * 1000;
  const inFlight = new Set<Buffer>();
  const record = (kind: 'crash' | 'hang', input: Buffer, err: unknown) => {
    if (kind === 'crash') report.crashes++;
    else report.hangs++;
    const error = describe(err);
    let file: string | undefined;
    if (options.crashDir) {
      mkdirSync(options.crashDir, { recursive: true });
      file = join(options.crashDir, `${kind}-${createHash('sha1').update(input).digest('hex').slice(0, 16)}`);
      writeFileSync(file, input);
      writeFileSync(`${file}.txt`, error);
    }
    if (report.failures.length < 20) report.failures.push({ kind, file, error: error.split('\n')[0]! });
    options.log?.(`${target.name}: ${kind}: ${error.split('\n')[0]}${file ? ` (saved ${file})` : ''}`);
  };
  const onUncaught = (err: unknown) => {
    for (const i of inFlight) record('crash', i, err);
    if (inFlight.size === 0) record('crash', Buffer.alloc(0), err);
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const started = Date.now();
  let lastLog = started;
  const gen = inputs(target, corpus, options.seed);
  const one = async (input: Buffer) => {
    inFlight.add(input);
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => {
      timer = setTimeout(() => resolve('hang'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([harness.run(input).then(() => 'ok' as const), hang]);
      if (outcome === 'hang') record('hang', input, new Error(`no outcome within ${timeoutMs} ms`));
    } catch (err) {
      record('crash', input, err);
    } finally {
      clearTimeout(timer);
      inFlight.delete(input);
    }
  };
  const check = async () => {
    if (!harness.check) return;
    try {
      await harness.check();
    } catch (err) {
      record('crash', Buffer.from(`health check after ${report.inputs} inputs`), err);
    }
  };
  try {
    const lanes = Math.max(1, target.concurrency ?? 1);
    let issued = 0;
    const lane = async () => {
      while (issued < options.runs && Date.now() < deadline) {
        issued++;
        await one(gen.next().value as Buffer);
        report.inputs++;
        if (report.inputs % checkEvery === 0) await check();
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          options.log?.(
            `${target.name}: ${report.inputs} inputs, ${Math.round(report.inputs / ((lastLog - started) / 1000))}/s, ${report.crashes} crashes, ${report.hangs} hangs`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    await check();
  } finally {
    report.seconds = (Date.now() - started) / 1000;
    report.inputsPerSecond = Math.round(report.inputs / Math.max(report.seconds, 0.001));
    await harness.teardown();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
  return report;
}
