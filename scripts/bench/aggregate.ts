/**
 * Aggregator benchmark: `npm run bench:aggregate -- [--readings N] [--points P] [--interval-ms I] [--batch B] [--store FILE]`.
 *
 * 1. Generates N readings (default 10,000,000) of P counter points (default 1,000 meters × 1 energy point, on 10
 *    lines) polled every I ms (default 1000), straight into a fresh gateway store with a bare prepared INSERT
 *    (transactions of 50,000 rows, rows built on the fly — nothing is held in memory).
 * 2. Bare scan: iterates `SELECT * FROM readings ORDER BY seq` once, touching every row (the baseline of the ratio).
 *    For information, also a compact scan: the columns the aggregator reads, as arrays, in its slices
 *    (`readingRowsAfter`), i.e. the reading cost inside the aggregator's figure.
 * 3. Runs the line aggregator over the same table (batches of B readings, default: the config's default) until caught up.
 * Prints readings/s of the scans and the aggregator, the ratio aggregator / bare scan, rollups written, and the
 * process's peak RSS.
 * Targets: >= 200,000 readings/s, ratio >= 0.25, peak RSS <= 200 MB. Exit 0 on completion (targets are reported,
 * not enforced), 2 on bad arguments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock, silentLogger } from '@pcf-edge/core';
import { INSERT_READING_SQL, openStore, type GatewayStore } from '@pcf-edge/store';
import { createLineAggregator, validateAggregatorConfig } from '../../components/line-aggregator/src';
import { READ_CHUNK } from '../../components/line-aggregator/src/aggregator';

const HELP = `usage: npm run bench:aggregate -- [--readings N] [--points P] [--interval-ms I] [--batch B] [--store FILE]
  --readings N     readings to generate and aggregate (default 10000000)
  --points P       counter points, one per meter, 10 lines (default 1000)
  --interval-ms I  poll interval of every point, ms (default 1000)
  --batch B        aggregator batch size, readings per transaction (default: the config default, 50000)
  --store FILE     keep the generated store at FILE (default: a temp file, deleted afterwards)`;

interface Options {
  readings: number;
  points: number;
  intervalMs: number;
  batch: number | undefined;
  store: string | undefined;
}

function parse(): Options {
  const { values } = parseArgs({
    options: {
      readings: { type: 'string' },
      points: { type: 'string' },
      'interval-ms': { type: 'string' },
      batch: { type: 'string' },
      store: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, dflt: number): number => {
    const n = text === undefined ? dflt : Number(text);
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`--${name} must be a positive integer, got ${JSON.stringify(text)}\n${HELP}\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    readings: int('readings', values.readings, 10_000_000),
    points: int('points', values.points, 1000),
    intervalMs: int('interval-ms', values['interval-ms'], 1000),
    batch: values.batch === undefined ? undefined : int('batch', values.batch, 0),
    store: values.store,
  };
}

const T0 = Date.UTC(2026, 5, 1);
const meterId = (i: number): string => `m${String(i).padStart(4, '0')}`;
const lineOf = (i: number): string => `line-${i % 10}`;

/** Bare bulk insert: reading i is point i % P at step ⌊i / P⌋; each meter draws 20–120 kW. */
function generate(store: GatewayStore, o: Options): number {
  const insert = store.db.prepare(INSERT_READING_SQL);
  const tx = store.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const p = i % o.points;
      const step = Math.floor(i / o.points);
      const ts = T0 + step * o.intervalMs;
      const kW = 20 + (p % 101);
      const value = 1000 + p + (kW * step * o.intervalMs) / 3_600_000;
      insert.run([
        'plant-1',
        lineOf(p),
        meterId(p),
        'energy',
        'activeEnergyImport',
        'counter',
        value,
        'kWh',
        null,
        ts,
        'good',
        null,
        null,
      ]);
    }
  });
  const started = performance.now();
  for (let from = 0; from < o.readings; from += 50_000) tx.immediate(from, Math.min(o.readings, from + 50_000));
  return performance.now() - started;
}

/** Wall and CPU milliseconds of `fn`. */
function timed<T>(fn: () => T): T & { ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const r = fn();
  const used = process.cpuUsage(cpu);
  return { ...r, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

function bareScan(store: GatewayStore): { rows: number } {
  let rows = 0;
  let sum = 0;
  for (const r of store.db.prepare('SELECT * FROM readings ORDER BY seq').iterate() as Iterable<{ value: number }>) {
    rows++;
    sum += r.value;
  }
  if (!Number.isFinite(sum)) throw new Error('scan sum not finite');
  return { rows };
}

/** The aggregator's own read path alone: every reading as a compact row, in the aggregator's slices. */
function compactScan(store: GatewayStore): { rows: number } {
  let rows = 0;
  let sum = 0;
  for (let cursor = 0, got = 1; got > 0;) {
    const slice = store.readingRowsAfter(cursor, READ_CHUNK);
    got = slice.length;
    for (const r of slice) {
      rows++;
      sum += r[3] ?? 0;
      cursor = r[0];
    }
  }
  if (!Number.isFinite(sum)) throw new Error('scan sum not finite');
  return { rows };
}

function aggregate(store: GatewayStore, o: Options): { applied: number; batchSize: number } {
  const config = validateAggregatorConfig({
    site: 'plant-1',
    gatewayId: 'bench',
    ...(o.batch === undefined ? {} : { batchSize: o.batch }),
    meters: Array.from({ length: o.points }, (_, p) => ({
      id: meterId(p),
      line: lineOf(p),
      role: 'lineTotal',
      points: { energy: { maxRatePerHour: 200 } },
    })),
  });
  const agg = createLineAggregator(config, { store, clock: new ManualClock(T0), log: silentLogger() });
  return { applied: agg.drain(), batchSize: config.batchSize };
}

function main(): void {
  const o = parse();
  const dir = o.store === undefined ? mkdtempSync(join(tmpdir(), 'pcf-bench-agg-')) : null;
  const file = o.store ?? join(dir!, 'gateway.db');
  const store = openStore(file);
  try {
    const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`;
    const genMs = generate(store, o);
    process.stdout.write(
      `generated ${o.readings} readings of ${o.points} points every ${o.intervalMs} ms in ${(genMs / 1000).toFixed(1)} s\n`,
    );
    const rssAfterGenerate = process.memoryUsage.rss();
    const scan = timed(() => bareScan(store));
    const compact = timed(() => compactScan(store));
    const agg = timed(() => aggregate(store, o));
    const scanRate = (scan.rows / scan.ms) * 1000;
    const aggRate = (agg.applied / agg.ms) * 1000;
    const perCpu = (n: number, cpuMs: number): string => `${Math.round((n / cpuMs) * 1000)}/CPU-s`;
    const ratio = aggRate / scanRate;
    const peak = process.resourceUsage().maxRSS * 1024;
    const s = store.stats();
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    process.stdout.write(
      [
        `bare scan:   ${scan.rows} rows in ${(scan.ms / 1000).toFixed(1)} s = ${Math.round(scanRate)} rows/s (${perCpu(scan.rows, scan.cpuMs)})`,
        `compact scan: ${compact.rows} rows in ${(compact.ms / 1000).toFixed(1)} s = ${Math.round((compact.rows / compact.ms) * 1000)} rows/s (${perCpu(compact.rows, compact.cpuMs)}) (the aggregator's read path alone; information)`,
        `aggregator:  ${agg.applied} readings in ${(agg.ms / 1000).toFixed(1)} s = ${Math.round(aggRate)} readings/s (${perCpu(agg.applied, agg.cpuMs)}), batches of ${agg.batchSize} (target >= 200000: ${verdict(aggRate >= 200_000)})`,
        `ratio:       ${ratio.toFixed(3)} (target >= 0.25: ${verdict(ratio >= 0.25)})`,
        `rollups:     ${s.rollups} written, outbox depth ${s.outboxDepth}, store ${mb(s.fileBytes)}`,
        `peak RSS:    ${mb(peak)} (target <= 200 MB: ${verdict(peak <= 200 * 1024 * 1024)}); after generating ${mb(rssAfterGenerate)}, at the end ${mb(process.memoryUsage.rss())}`,
        `load:        load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} on ${cpus().length} CPUs (rates scale with contention)`,
      ].join('\n') + '\n',
    );
    // machine-readable figures for npm run bench (scripts/bench/report.ts)
    process.stdout.write(
      `BENCH aggregate.readingsPerSec=${Math.round(aggRate)} readings/s target >= 200000\nBENCH aggregate.ratioToBareScan=${ratio.toFixed(3)} ratio target >= 0.25\nBENCH aggregate.peakRssMB=${(peak / 1048576).toFixed(0)} MB target <= 200\n`,
    );
  } finally {
    store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main();
