/**
 * The cost of keeping every rollup revision (ADR 0230), for `npm run bench:pcf`: a year of 15-minute line and site
 * rollups, then revision 2 of 5 % of the windows (chosen at random), ingested (1) through the repository — current
 * view and history — and (2) as the bare baseline in the same run: the same rows through the current view's upsert
 * alone (the store's own SQL, documents included) into a file of the same schema without the history's triggers. Reports ingest rates, rows, and bytes (both files
 * vacuumed; the history's share measured by dropping it from a copy).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LineRollup, SiteRollup } from '@pcf-edge/core';
import { decodeRollups, openSqliteRepository, rollupParams, UPSERT_ROLLUP_POSITIONAL } from '../../cloud-sink/src';
import { prng, rollupChunks, type BenchSize } from './pcf-data';

const log = (text: string) => process.stdout.write(`${text}\n`);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
/** Process CPU time (ms): beside wall time, because a shared machine stretches wall time many-fold. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The year's rollups in chunks, then the 5 % revised windows (revision 2, other values) as the last chunks. */
function* yearWithRevisions(lines: number): Generator<(LineRollup | SiteRollup)[]> {
  const rnd = prng(2024);
  const revised: (LineRollup | SiteRollup)[] = [];
  for (const chunk of rollupChunks({ lines, months: 12 }, 20_000)) {
    for (const r of chunk)
      if (rnd() < 0.05)
        revised.push(
          r.type === 'line' ? { ...r, revision: 2, electricityKWh: r.electricityKWh + 0.5 } : { ...r, revision: 2 },
        );
    yield chunk;
  }
  for (let i = 0; i < revised.length; i += 20_000) yield revised.slice(i, i + 20_000);
}

export async function historyCost(dir: string, size: Pick<BenchSize, 'lines'>): Promise<void> {
  const withFile = join(dir, 'history.sqlite'),
    bareFile = join(dir, 'view-only.sqlite');
  // (1) through the repository: current view and history
  const repo = openSqliteRepository({ file: withFile });
  let rollups = 0,
    revisions = 0;
  const t0 = process.hrtime.bigint(),
    c0 = cpuMs();
  for (const chunk of yearWithRevisions(size.lines)) {
    const out = await repo.ingest({ rollups: decodeRollups(chunk), deadLetters: [] });
    rollups += chunk.length;
    revisions += out.revisions;
  }
  const withMs = Number(process.hrtime.bigint() - t0) / 1e6,
    withCpu = cpuMs() - c0;
  const view = await repo.countRollups();
  await repo.close();
  // (2) bare baseline: the current view's upsert alone, one transaction per chunk, same schema
  await openSqliteRepository({ file: bareFile }).close(); // the same schema, migrated
  const bare = new Database(bareFile);
  // the view alone: without the triggers that keep a replaced row in the history (ADR 0270)
  bare.exec('DROP TRIGGER rollups_keep_updated; DROP TRIGGER rollups_keep_deleted');
  bare.pragma('journal_mode = WAL');
  bare.pragma('synchronous = NORMAL');
  bare.pragma('cache_size = -65536');
  const upsert = bare.prepare(UPSERT_ROLLUP_POSITIONAL);
  const tx = bare.transaction((rows: ReturnType<typeof decodeRollups>) => {
    for (const r of rows) upsert.run(rollupParams(r, Date.now()));
  });
  const t1 = process.hrtime.bigint(),
    c1 = cpuMs();
  for (const chunk of yearWithRevisions(size.lines)) tx(decodeRollups(chunk));
  const bareMs = Number(process.hrtime.bigint() - t1) / 1e6,
    bareCpu = cpuMs() - c1;
  bare.exec('VACUUM');
  bare.close();
  // sizes: both vacuumed; the history's bytes = the file less a copy without it
  const db = new Database(withFile);
  db.exec('VACUUM');
  const noHistory = join(dir, 'history-dropped.sqlite');
  db.exec(`VACUUM INTO '${noHistory}'`);
  db.close();
  const copy = new Database(noHistory);
  copy.exec('DROP TABLE rollup_revisions; VACUUM');
  copy.close();
  const bytes = (f: string) => statSync(f).size;
  const withBytes = bytes(withFile),
    bareBytes = bytes(bareFile);
  const historyBytes = withBytes - bytes(noHistory);
  const rate = rollups / (withMs / 1000),
    bareRate = rollups / (bareMs / 1000);
  log(
    `history cost, a year of 15-minute rollups on ${size.lines} lines and the site with 5 % of windows revised: ${rollups} rollups ingested, ${view} current, ${revisions} kept revisions`,
  );
  const perCpu = rollups / (withCpu / 1000),
    barePerCpu = rollups / (bareCpu / 1000);
  log(
    `  ingest with history ${Math.round(rate)} rollups/s wall, ${Math.round(perCpu)} per CPU-s; the current view's upsert alone ${Math.round(bareRate)} rollups/s wall, ${Math.round(barePerCpu)} per CPU-s (${((barePerCpu / perCpu - 1) * 100).toFixed(0)} % more CPU per rollup with history)`,
  );
  log(
    `  bytes: ${mib(withBytes)} MiB with history (history ${mib(historyBytes)} MiB = ${((historyBytes / withBytes) * 100).toFixed(0)} %), ${mib(bareBytes)} MiB for the current view alone (documents included)`,
  );
  log(`BENCH pcf.history.ingestRollupsPerSec=${Math.round(rate)} rollups/s`);
  log(`BENCH pcf.history.baselineViewOnlyRollupsPerSec=${Math.round(bareRate)} rollups/s`);
  log(`BENCH pcf.history.ingestRollupsPerCpuSec=${Math.round(perCpu)} rollups/s`);
  log(`BENCH pcf.history.baselineViewOnlyRollupsPerCpuSec=${Math.round(barePerCpu)} rollups/s`);
  log(`BENCH pcf.history.historyMiBPerYear=${mib(historyBytes)} MiB`);
  log(`BENCH pcf.history.totalMiBPerYear=${mib(withBytes)} MiB`);
}
