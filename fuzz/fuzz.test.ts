import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { InvariantError, runFuzz, type FuzzTarget } from './engine';
import { mutate, prng } from './mutate';
import { TARGETS } from './targets';

const RUNS = 300;

describe('fuzz targets (short run, fixed seed)', () => {
  for (const name of Object.keys(TARGETS)) {
    it(`${name}: ${RUNS} inputs end in a clear error or a valid result`, async () => {
      const report = await runFuzz(TARGETS[name]!, {
        runs: RUNS,
        seed: 42,
        corpusDir: join(__dirname, 'corpus', name),
        checkEvery: 100,
      });
      expect(report.failures).toEqual([]);
      expect(report).toMatchObject({ inputs: RUNS, crashes: 0, hangs: 0 });
    }, 180_000);
  }
});

describe('fuzz engine', () => {
  it('counts and saves crashes and hangs, and reproduces its inputs from the seed', async () => {
    const seen: string[][] = [[], []];
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-engine-'));
    const target = (k: number): FuzzTarget => ({
      name: 'broken',
      seeds: () => [],
      arbitrary: fc.uint8Array({ maxLength: 8 }),
      timeoutMs: 50,
      setup: async () => ({
        run: async (input) => {
          seen[k]!.push(input.toString('hex'));
          if (input.length === 1) throw new InvariantError('one-byte input');
          if (input.length === 2) await new Promise((r) => setTimeout(r, 200));
        },
        teardown: async () => undefined,
      }),
    });
    try {
      const a = await runFuzz(target(0), {
        runs: 200,
        seed: 7,
        corpusDir: join(dir, 'none'),
        crashDir: join(dir, 'crashes'),
      });
      const b = await runFuzz(target(1), { runs: 200, seed: 7, corpusDir: join(dir, 'none') });
      expect(a.crashes).toBeGreaterThan(0);
      expect(a.hangs).toBeGreaterThan(0);
      expect(a.failures[0]).toMatchObject({ error: expect.stringMatching(/one-byte input|no outcome/) });
      expect(readdirSync(join(dir, 'crashes')).length).toBeGreaterThan(0);
      expect(seen[1]).toEqual(seen[0]);
      expect([b.crashes, b.hangs]).toEqual([a.crashes, a.hangs]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mutations are deterministic from the seed', () => {
    const corpus = [Buffer.from('0123456789abcdef'), Buffer.from('{"a":[1,2,3]}')];
    const run = () => {
      const rng = prng(3);
      return Array.from({ length: 50 }, (_, i) => mutate(corpus[i % 2]!, rng, corpus, 64).toString('hex'));
    };
    expect(run()).toEqual(run());
    expect(new Set(run()).size).toBeGreaterThan(30);
  });
});
