/**
 * The pure engine's CPU on the `bench:pcf` data, without the store: `npm run bench:engine -- [--rounds N] [--docs]
 * [--trace] [--keep] [--prof out.cpuprofile] [--db file.sqlite]`. Loads each month's engine input once from a SQLite store filled as
 * `bench:pcf` fills it (kept in --db for later runs), then per round runs `computePeriod` and every product's result
 * for all 12 months (as the recompute does; --keep: each month's calculation kept to the round's end, as
 * `PcfService` keeps precomputed periods) and prints process CPU per round; with --docs also builds each result's
 * document (--trace: its derivation tree) and prints a SHA-256 of them all, so two builds can be compared digit for digit.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { computePeriod, type EngineInput } from '@pcf-edge/pcf-engine';
import { decodeRollups, importParsed, IMPORT_ORDER, PcfService } from '../../cloud-sink/src';
import { productResultDoc } from '../../cloud-sink/src/service/result-doc';
import { openRepository } from '../../cloud-sink/src/store/open';
import { cpuMs, LEVELS, optionsFor, productId, referenceData, rollupChunks, type BenchSize } from './pcf-data';

const SIZE: BenchSize = { products: 10_000, lines: 20, months: 12, ingestRollups: 0 };
const HELP = `usage: npm run bench:engine -- [--rounds N] [--docs] [--trace] [--keep] [--prof out.cpuprofile] [--db file.sqlite]
  --rounds N      rounds of 12 months x 10,000 products (default 3)
  --docs          also build each result's document and print a SHA-256 of them all (compare builds digit for digit)
  --trace         with --docs, also each result's derivation tree
  --keep          keep each month's calculation to the end of the round, as PcfService keeps precomputed periods
  --prof FILE     write a V8 CPU profile of the rounds to FILE
  --db FILE       the SQLite store with bench:pcf's data, built on first use (default /tmp/pcf-edge-engine-bench.sqlite)`;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        rounds: { type: 'string' },
        docs: { type: 'boolean' },
        trace: { type: 'boolean' },
        keep: { type: 'boolean' },
        prof: { type: 'string' },
        db: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${HELP}\n`);
    process.exit(2);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const rounds = Number(values.rounds ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write(`--rounds must be a positive integer, not ${values.rounds}\n${HELP}\n`);
    process.exit(2);
  }
  const file = values.db ?? '/tmp/pcf-edge-engine-bench.sqlite';
  const fresh = !existsSync(file);
  const repo = await openRepository({ kind: 'sqlite', file }, { migrate: true });
  if (fresh) {
    const data = referenceData(SIZE);
    for (const kind of IMPORT_ORDER) {
      const rows = data[kind];
      if (rows) await importParsed(repo, kind, { rows, text: JSON.stringify(rows), headerErrors: [] }, `bench:${kind}`);
    }
    for (const chunk of rollupChunks(SIZE, 20_000))
      await repo.ingest({ rollups: decodeRollups(chunk), deadLetters: [] });
  }
  const pcf = new PcfService(repo);
  const inputs: EngineInput[] = [];
  const l0 = cpuMs();
  for (let m = 0; m < SIZE.months; m++) inputs.push((await pcf.load(optionsFor(m), 'all')).input);
  process.stdout.write(`load 12 months: ${(cpuMs() - l0).toFixed(0)} ms CPU\n`);
  await repo.close();
  const ids = Array.from({ length: SIZE.products }, (_, i) =>
    productId(Math.floor(i / (SIZE.products / LEVELS)), i % (SIZE.products / LEVELS)),
  );
  const session = values.prof ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  for (let r = 0; r < rounds; r++) {
    const hash = createHash('sha256');
    const c0 = cpuMs(),
      t0 = Date.now();
    const kept: unknown[] = [];
    for (const input of inputs) {
      const calc = computePeriod(input);
      if (values.keep) kept.push(calc);
      for (const id of ids) {
        const res = calc.product(id);
        if (values.docs) hash.update(JSON.stringify(productResultDoc(calc, res)));
        if (values.trace) hash.update(JSON.stringify(res.trace()));
      }
    }
    const cpu = cpuMs() - c0;
    process.stdout.write(
      `round ${r + 1}: ${(cpu / 1000).toFixed(2)} s CPU, ${((Date.now() - t0) / 1000).toFixed(2)} s wall` +
        (values.docs || values.trace ? `, docs/traces sha256 ${hash.digest('hex').slice(0, 16)}` : '') +
        `\n`,
    );
  }
  if (session && values.prof) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(values.prof, JSON.stringify(profile));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
