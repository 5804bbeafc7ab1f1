/**
 * Store insert benchmark: `npm run bench:store -- [--rows N] [--batch B]`.
 * Inserts N readings (default 1,000,000) through the gateway store's ReadingWriter (maxBatch B, default 1000) into
 * a fresh temp file and the same rows through a bare better-sqlite3 prepared INSERT in transactions of B rows on
 * another fresh file with the identical schema and pragmas (interleaved rounds, see run()); prints readings/s of both, the ratio (target >= 0.5)
 * and peak RSS. Exits 0 on completion, 2 on bad arguments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { Reading } from '@pcf-edge/core';
import { INSERT_VALUE_SQL, openStore, valueParams } from '@pcf-edge/store';

const HELP = `usage: npm run bench:store -- [--rows N] [--batch B]
  --rows N    readings to insert in each run (default 1000000)
  --batch B   readings per transaction (default 1000)`;

function parse(): { rows: number; batch: number } {
  const { values } = parseArgs({
    options: { rows: { type: 'string' }, batch: { type: 'string' }, help: { type: 'boolean' } },
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
  return { rows: int('rows', values.rows, 1_000_000), batch: int('batch', values.batch, 1000) };
}

const T0 = 1_700_000_000_000;
function makeReading(i: number): Reading {
  return {
    site: 'plant-1',
    line: `line-${i % 4}`,
    meterId: `meter-${i % 50}`,
    point: 'activeEnergyImport',
    quantity: 'activeEnergyImport',
    kind: 'counter',
    value: 1000 + i * 0.01,
    unit: 'kWh',
    sourceTs: i % 3 === 0 ? T0 + i : null,
    readTs: T0 + i * 100,
    quality: i % 997 === 0 ? 'bad' : 'good',
    ...(i % 997 === 0 ? { qualityReason: 'modbus exception 4' } : {}),
  };
}

let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};

/** Inserts readings [from, to) and returns the elapsed milliseconds; `close` ends the run and checks the count. */
interface Runner {
  insert(from: number, to: number): number;
  close(expectedRows: number): void;
}

function storeRunner(path: string, batch: number): Runner {
  const store = openStore(path);
  const writer = store.createReadingWriter({ maxBatch: batch, maxDelayMs: 60_000 });
  return {
    insert(from, to) {
      const start = performance.now();
      for (let i = from; i < to; i++) writer.write(makeReading(i));
      writer.flush();
      return performance.now() - start;
    },
    close(expected) {
      writer.close();
      const n = store.latestReadingSeq();
      store.close();
      if (n !== expected) throw new Error(`store holds ${n} readings, expected ${expected}`);
    },
  };
}

/** Bare better-sqlite3 on a file with the same schema and pragmas (created by the store, then reopened raw). */
function bareRunner(path: string, batch: number): Runner {
  openStore(path).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare(INSERT_VALUE_SQL);
  // The same layout as the store's (ADR 0268): each reading filed under its series, ids kept in a plain Map.
  const addSeries = db.prepare(
    'INSERT INTO reading_series (site, line, meter_id, point, quantity, kind, unit, meter_serial) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const ids = new Map<string, number>();
  const seriesOf = (r: Reading): number => {
    const key = `${r.site}\0${r.line}\0${r.meterId}\0${r.point}\0${r.quantity}\0${r.kind}\0${r.unit}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = Number(addSeries.run(r.site, r.line, r.meterId, r.point, r.quantity, r.kind, r.unit, null).lastInsertRowid);
      ids.set(key, id);
    }
    return id;
  };
  return {
    insert(from, to) {
      const start = performance.now();
      for (let i = from; i < to; i += batch) {
        const end = Math.min(to, i + batch);
        db.exec('BEGIN IMMEDIATE');
        for (let j = i; j < end; j++) {
          const r = makeReading(j);
          insert.run(valueParams(seriesOf(r), r));
        }
        db.exec('COMMIT');
      }
      return performance.now() - start;
    },
    close(expected) {
      const n = db.prepare('SELECT COUNT(*) FROM readings').pluck().get();
      db.close();
      if (n !== expected) throw new Error(`bare file holds ${String(n)} readings, expected ${expected}`);
    },
  };
}

/**
 * Both runs advance in interleaved rounds (store chunk, bare chunk, …) so that load from other processes and
 * file growth affect both alike; a warm-up round on scratch files pays JIT and page-cache costs first.
 */
function run(dir: string, rows: number, batch: number): { store: number; bare: number } {
  const warm = Math.min(rows, 20_000);
  for (const [name, make] of [
    ['warm-store', storeRunner],
    ['warm-bare', bareRunner],
  ] as const) {
    const r = make(join(dir, `${name}.db`), batch);
    r.insert(0, warm);
    r.close(warm);
  }
  const store = storeRunner(join(dir, 'store.db'), batch);
  const bare = bareRunner(join(dir, 'bare.db'), batch);
  const rounds = Math.min(10, Math.ceil(rows / batch));
  const chunk = Math.ceil(rows / rounds / batch) * batch;
  let storeMs = 0;
  let bareMs = 0;
  for (let from = 0; from < rows; from += chunk) {
    const to = Math.min(rows, from + chunk);
    storeMs += store.insert(from, to);
    bareMs += bare.insert(from, to);
    sampleRss();
    const rate = (ms: number): string => Math.round((to / ms) * 1000).toLocaleString('en');
    process.stderr.write(
      `  ${to.toLocaleString('en')} / ${rows.toLocaleString('en')}: store ${rate(storeMs)}/s, bare ${rate(bareMs)}/s\n`,
    );
  }
  store.close(rows);
  bare.close(rows);
  return { store: (rows / storeMs) * 1000, bare: (rows / bareMs) * 1000 };
}

function main(): void {
  const { rows, batch } = parse();
  const dir = mkdtempSync(join(tmpdir(), 'pcf-bench-store-'));
  try {
    process.stderr.write(`inserting ${rows.toLocaleString('en')} readings, ${batch} per transaction, in ${dir}\n`);
    const { store, bare } = run(dir, rows, batch);
    sampleRss();
    const ratio = store / bare;
    const fmt = (n: number): string => Math.round(n).toLocaleString('en').padStart(12);
    process.stdout.write(
      [
        `| ${rows.toLocaleString('en')} readings, ${batch}/tx`.padEnd(32) + '| readings/s   |',
        '|-------------------------------|--------------|',
        `| gateway store (ReadingWriter) | ${fmt(store)} |`,
        `| bare better-sqlite3 loop      | ${fmt(bare)} |`,
        `| ratio store / bare            | ${ratio.toFixed(2).padStart(12)} | target >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'}`,
        `| peak RSS                      | ${`${(peakRss / 1048576).toFixed(0)} MiB`.padStart(12)} |`,
        '',
      ].join('\n'),
    );
    // machine-readable figures for npm run bench (scripts/bench/report.ts)
    process.stdout.write(
      `BENCH store.readingsPerSec=${Math.round(store)} readings/s\nBENCH store.bareRowsPerSec=${Math.round(bare)} rows/s\nBENCH store.ratioStoreToBare=${ratio.toFixed(3)} ratio target >= 0.5\nBENCH store.peakRssMB=${(peakRss / 1048576).toFixed(0)} MB\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
