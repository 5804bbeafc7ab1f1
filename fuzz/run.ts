import { join } from 'node:path';
import { runFuzz, writeCorpus, type FuzzReport } from './engine';
import { TARGETS } from './targets';

const HELP = `usage: npm run fuzz -- --target <name|all> [--runs N] [--seed S] [--seconds T] [--write-corpus]

Feeds generated and mutated inputs to an input boundary and checks that each ends in a clear error (or a valid
result) with no crash, hang or data change. Deterministic from --seed. Failing inputs are saved to
fuzz/crashes/<target>/. --write-corpus (re)writes fuzz/corpus/<target>/ from the target's built-in seeds.

targets: ${Object.keys(TARGETS).join(', ')}
defaults: --runs 10000, --seed 1; --seconds caps the time per target.
exit code: 0 no failures, 1 crashes or hangs, 2 usage error.`;

interface Args {
  targets: string[];
  runs: number;
  seed: number;
  seconds?: number;
  writeCorpus: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { targets: [], runs: 10_000, seed: 1, writeCorpus: false };
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0)
      throw new Error(`${flag} needs a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--target') {
      const v = argv[++i];
      if (v === 'all') args.targets = Object.keys(TARGETS);
      else if (v !== undefined && v in TARGETS) args.targets.push(v);
      else throw new Error(`unknown target ${JSON.stringify(v)} (known: all, ${Object.keys(TARGETS).join(', ')})`);
    } else if (a === '--runs') args.runs = Math.floor(num(a, argv[++i]));
    else if (a === '--seed') args.seed = Math.floor(num(a, argv[++i]));
    else if (a === '--seconds') args.seconds = num(a, argv[++i]);
    else if (a === '--write-corpus') args.writeCorpus = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  if (args.targets.length === 0) throw new Error('--target is required');
  return args;
}

function line(r: FuzzReport): string {
  return `${r.target.padEnd(18)} inputs ${String(r.inputs).padStart(8)}  ${r.seconds.toFixed(1).padStart(7)} s  ${String(r.inputsPerSecond).padStart(6)} inputs/s  crashes ${r.crashes}  hangs ${r.hangs}`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`fuzz: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const reports: FuzzReport[] = [];
  for (const name of args.targets) {
    const target = TARGETS[name]!;
    const corpusDir = join(__dirname, 'corpus', name);
    if (args.writeCorpus) writeCorpus(corpusDir, await target.seeds());
    const report = await runFuzz(target, {
      runs: args.runs,
      seed: args.seed,
      seconds: args.seconds,
      corpusDir,
      crashDir: join(__dirname, 'crashes', name),
      log: (l) => console.error(l),
    });
    console.log(line(report));
    reports.push(report);
  }
  return reports.some((r) => r.crashes > 0 || r.hangs > 0) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
