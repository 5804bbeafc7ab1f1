/**
 * Store insert benchmark: `npm run bench:store -- [--rows N] [--batch B]`.
 * Inserts N readings (default 1,000,000) through the gateway store's ReadingWriter (maxBatch B, default 1000) into
 * a fresh temp file, then the same rows through a bare better-sqlite3 prepared INSERT in transactions of B rows on
 * another fresh file with the identical schema and pragmas; prints readings/s of both, the ratio (target >= 0.5)
 * and peak RSS. Exits 0 on completion, 2 on bad arguments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { Reading } from '@pcf-edge/core';
import { openStore } from '@pcf-edge/store';
import { INSERT_READING_SQL, readingParams } from '../../shared/store/src/rows';

const HELP = `usage: npm run bench:store -- [--rows N] [--batch B]
  --rows N    readings to insert in each run (default 1000000)
  --batch B   readings per transaction (default 1000)`;

function parse(): { rows: number; batch: number } {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, batch: { type: 'string' }, help: { type: 'boolean' } } });
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
  return { rows: int('rows', values.rows, 1_000_000), batch: int('batch', values.batch, 1000) };
}

const T0 = 1_700_000_000_000;
function makeReading(i: number): Reading {
  return {
    site: 'plant-1', line: `line-${i % 4}`, meterId: `meter-${i % 50}`, point: 'activeEnergyImport', quantity: 'activeEnergyImport',
    kind: 'counter', value: 1000 + i * 0.01, unit: 'kWh', sourceTs: i % 3 === 0 ? T0 + i : null, readTs: T0 + i * 100,
    quality: i % 997 === 0 ? 'bad' : 'good', ...(i % 997 === 0 ? { qualityReason: 'modbus exception 4' } : {}),
  };
}

let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};
const progressEvery = (rows: number): number => Math.max(1, Math.floor(rows / 10));

function progress(label: string, done: number, rows: number, start: number): void {
  sampleRss();
  const s = (performance.now() - start) / 1000;
  process.stderr.write(`  ${label}: ${done.toLocaleString('en')} / ${rows.toLocaleString('en')} (${Math.round(done / s).toLocaleString('en')}/s)\n`);
}

function benchStore(path: string, rows: number, batch: number, quiet = false): number {
  const store = openStore(path);
  const writer = store.createReadingWriter({ maxBatch: batch, maxDelayMs: 60_000 });
  const every = progressEvery(rows);
  const start = performance.now();
  for (let i = 0; i < rows; i++) {
    writer.write(makeReading(i));
    if (!quiet && (i + 1) % every === 0) progress('store', i + 1, rows, start);
  }
  writer.close();
  const secs = (performance.now() - start) / 1000;
  if (store.latestReadingSeq() !== rows) throw new Error(`store holds ${store.latestReadingSeq()} readings, expected ${rows}`);
  store.close();
  return rows / secs;
}

/** Same schema and pragmas (the store creates the file, then a bare connection inserts). */
function benchBare(path: string, rows: number, batch: number, quiet = false): number {
  openStore(path).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare(INSERT_READING_SQL);
  const every = progressEvery(rows);
  const start = performance.now();
  for (let i = 0; i < rows; i += batch) {
    const end = Math.min(rows, i + batch);
    db.exec('BEGIN IMMEDIATE');
    for (let j = i; j < end; j++) insert.run(readingParams(makeReading(j)));
    db.exec('COMMIT');
    if (!quiet && Math.floor(end / every) !== Math.floor(i / every)) progress('bare ', end, rows, start);
  }
  const secs = (performance.now() - start) / 1000;
  db.close();
  return rows / secs;
}

function main(): void {
  const { rows, batch } = parse();
  const dir = mkdtempSync(join(tmpdir(), 'pcf-bench-store-'));
  try {
    process.stderr.write(`inserting ${rows.toLocaleString('en')} readings, ${batch} per transaction, in ${dir}\n`);
    // Warm-up (JIT, page cache) on scratch files so neither timed run pays it alone.
    const warm = Math.min(rows, 20_000);
    benchStore(join(dir, 'warm-store.db'), warm, batch, true);
    benchBare(join(dir, 'warm-bare.db'), warm, batch, true);
    const store = benchStore(join(dir, 'store.db'), rows, batch);
    const bare = benchBare(join(dir, 'bare.db'), rows, batch);
    sampleRss();
    const ratio = store / bare;
    const fmt = (n: number): string => Math.round(n).toLocaleString('en').padStart(12);
    process.stdout.write([
      `| ${rows.toLocaleString('en')} readings, ${batch}/tx`.padEnd(32) + '| readings/s   |',
      '|-------------------------------|--------------|',
      `| gateway store (ReadingWriter) | ${fmt(store)} |`,
      `| bare better-sqlite3 loop      | ${fmt(bare)} |`,
      `| ratio store / bare            | ${ratio.toFixed(2).padStart(12)} | target >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'}`,
      `| peak RSS                      | ${`${(peakRss / 1048576).toFixed(0)} MiB`.padStart(12)} |`,
      '',
    ].join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
