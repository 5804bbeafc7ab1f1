/**
 * `npm run bench -- [--quick] [--only name,name] [--out FILE]`: runs every `bench:*` root script, captures its
 * output and writes bench-results/report.md with each figure beside its target and the anchor's published figure.
 *
 * Convention (the only thing asked of a bench script): besides its own table it prints one line per figure
 *   BENCH <name>=<value> <unit> [target <op> <number>]      op: >=, <=, >, <, =
 * e.g. `BENCH store.readingsPerSec=512000 readings/s target >= 100000`. A figure with a target is marked met or
 * missed; one without is reported as is.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const HELP = `usage: npm run bench -- [--quick] [--only bench:a,bench:b] [--out FILE]
  --quick   pass each script its small-size options (see QUICK_ARGS in scripts/bench/report.ts)
  --only    run only these scripts (default: every bench:* script in package.json)
  --out     report file (default bench-results/report.md); raw output goes beside it as <script>.log
Exit code 0 when every script ran (missed targets are reported, not fatal), 1 when a script failed or printed no BENCH line.`;

/** Small-size options per script for --quick (scripts not listed get none). */
export const QUICK_ARGS: Record<string, string[]> = {
  'bench:store': ['--rows', '200000'],
  'bench:collect': ['--seconds', '15', '--meters', '50'],
  'bench:export': ['--rollups', '100000'],
  'bench:pcf': ['--quick'],
  'bench:aggregate': ['--readings', '1000000'],
  'bench:api': ['--connections', '50', '--duration-sec', '3'],
  'bench:rtu': ['--seconds', '6'],
};

/** The anchors' published figures (docs/perf/anchors.md), matched by figure-name prefix. */
export const ANCHORS: [prefix: string, text: string][] = [
  ['store.readingsPerSec', 'SQLite via better-sqlite3, WAL, batched transactions: several hundred thousand rows/s'],
  ['store.bareRowsPerSec', 'SQLite via better-sqlite3, WAL, batched transactions: several hundred thousand rows/s'],
  ['aggregate.readingsPerSec', 'SQLite batched transactions: several hundred thousand rows/s'],
  ['collect.modbus.tagsPerSec', 'EMQX Neuron: 10,000 tags/s (3% of 4 cores, 199 MB); 100,000 tags/s at 30%, 497 MB'],
  ['collect.modbus.cpu', 'EMQX Neuron: 3% of 4 cores (= 12% of one) at 10,000 tags/s'],
  ['collect.modbus.rss', 'EMQX Neuron: 199 MB at 10,000 tags/s; under 100 MB at start'],
  ['collect.opcua.updatesPerSec', 'EMQX Neuron: 10,000 tags/s'],
  ['collect.opcua.rss', 'EMQX Neuron: 199 MB at 10,000 tags/s'],
  ['export.rss', 'Stream Manager: about 70 MB'],
];

export interface Figure {
  name: string;
  value: number;
  unit: string;
  op?: string;
  target?: number;
}

const LINE =
  /^BENCH\s+([\w.:/-]+)=(-?[\d.]+(?:e[+-]?\d+)?)\s*(.*?)(?:\s+target\s*(>=|<=|>|<|=)\s*(-?[\d.]+(?:e[+-]?\d+)?))?\s*$/;

export function parseBenchLines(output: string): Figure[] {
  const out: Figure[] = [];
  for (const raw of output.split('\n')) {
    const m = LINE.exec(raw.trim());
    if (!m) continue;
    const f: Figure = { name: m[1]!, value: Number(m[2]), unit: m[3]!.trim() };
    if (m[4] !== undefined) {
      f.op = m[4];
      f.target = Number(m[5]);
    }
    out.push(f);
  }
  return out;
}

export function verdict(f: Figure): 'met' | 'missed' | '—' {
  if (f.op === undefined || f.target === undefined) return '—';
  const t = f.target;
  const ok = { '>=': f.value >= t, '<=': f.value <= t, '>': f.value > t, '<': f.value < t, '=': f.value === t }[f.op];
  return ok ? 'met' : 'missed';
}

export function anchorFor(name: string): string {
  return ANCHORS.find(([p]) => name.startsWith(p))?.[1] ?? '';
}

interface Run {
  script: string;
  args: string[];
  code: number | null;
  seconds: number;
  output: string;
  figures: Figure[];
}

function runScript(script: string, args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolveRun) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('close', (code) =>
      resolveRun({
        script,
        args,
        code,
        seconds: (Date.now() - started) / 1000,
        output,
        figures: parseBenchLines(output),
      }),
    );
  });
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : String(Number(v.toPrecision(4))));

export function renderReport(runs: Run[], quick: boolean): string {
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const lines = [
    '# pcf-edge benchmark report',
    '',
    `${new Date().toISOString()} · node ${process.version} · ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}) · ${(totalmem() / 2 ** 30).toFixed(1)} GiB · load average ${load} at the end · ${quick ? '--quick sizes' : 'full sizes'}`,
    '',
    'Figures come from the `BENCH` lines each script prints; met/missed compares the figure with the target the script states. Anchors are published figures of comparable software (docs/perf/anchors.md). Figures taken on a loaded machine understate throughput and overstate latency.',
    '',
    '| script | figure | value | target | verdict | anchor (published) |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of runs) {
    if (r.figures.length === 0)
      lines.push(`| ${r.script} | (no BENCH lines${r.code === 0 ? '' : `; exit ${r.code}`}) | | | missed | |`);
    for (const f of r.figures) {
      const v = verdict(f);
      lines.push(
        `| ${r.script} | ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.op ? `${f.op} ${fmt(f.target!)}` : ''} | ${v === 'missed' ? '**missed**' : v} | ${anchorFor(f.name)} |`,
      );
    }
  }
  const missed = runs.flatMap((r) =>
    r.figures.filter((f) => verdict(f) === 'missed').map((f) => `${r.script} ${f.name}`),
  );
  lines.push('', `## Runs`, '', '| script | arguments | exit | seconds |', '|---|---|---|---|');
  for (const r of runs)
    lines.push(`| ${r.script} | ${r.args.join(' ') || '(defaults)'} | ${r.code} | ${r.seconds.toFixed(0)} |`);
  lines.push('', `## Missed targets`, '', missed.length === 0 ? 'none' : missed.map((m) => `- ${m}`).join('\n'), '');
  return lines.join('\n');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const outAt = argv.indexOf('--out');
  const unknown = argv.filter(
    (a, i) => !['--quick', '--only', '--out'].includes(a) && i !== onlyAt + 1 && i !== outAt + 1,
  );
  if (unknown.length > 0 || (onlyAt >= 0 && !argv[onlyAt + 1]) || (outAt >= 0 && !argv[outAt + 1])) {
    process.stderr.write(`bench: bad arguments ${JSON.stringify(unknown)}\n${HELP}\n`);
    return 2;
  }
  const scripts = Object.keys(
    (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
  )
    .filter((s) => s.startsWith('bench:'))
    .sort();
  const only = onlyAt >= 0 ? argv[onlyAt + 1]!.split(',') : scripts;
  const missing = only.filter((s) => !scripts.includes(s));
  if (missing.length > 0) {
    process.stderr.write(`bench: no such script(s): ${missing.join(', ')} (have: ${scripts.join(', ')})\n`);
    return 2;
  }
  const out = resolve(ROOT, outAt >= 0 ? argv[outAt + 1]! : 'bench-results/report.md');
  mkdirSync(resolve(out, '..'), { recursive: true });
  const runs: Run[] = [];
  for (const script of only) {
    process.stderr.write(`\n== ${script}\n`);
    const r = await runScript(script, quick ? (QUICK_ARGS[script] ?? []) : []);
    writeFileSync(resolve(out, '..', `${script.replace(/[^\w-]/g, '_')}.log`), r.output);
    runs.push(r);
    writeFileSync(out, renderReport(runs, quick));
  }
  process.stdout.write(`\nreport written to ${out}\n`);
  return runs.every((r) => r.code === 0 && r.figures.length > 0) ? 0 : 1;
}

if (require.main === module)
  main().then(
    (c) => {
      process.exitCode = c;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
