/**
 * Crash safety: the aggregator process is killed with SIGKILL at random moments and restarted; the final
 * rollups, outbox rows, anchors and counter events equal those of an uninterrupted run.
 * 50 runs in total (5 tests × 10), each with 1–3 kills, each at a random point of the aggregation (a random
 * committed-cursor target, polled). The entry point is bundled once with esbuild so each start costs a plain
 * `node` start-up rather than a TypeScript compile.
 */
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import Database from 'better-sqlite3';
import { openStore } from '@pcf-edge/store';
import type { Reading } from '@pcf-edge/core';
import { DEMO_CONFIG, demoStep, tempDir, writeConfig } from './fixtures';

const tmp = tempDir('pcf-agg-crash-');
const bundle = tmp.file('aggregator.cjs');
const config = writeConfig(tmp.file('config.json'), { ...DEMO_CONFIG, batchSize: 20 });
const base = tmp.file('base.db');
let reference: Snapshot;
let cleanRunMs = 0;
const killed: number[] = [];
let attempts = 0;
/** Kills after which some but not all readings had been committed: the crash hit the aggregation itself. */
let midRun = 0;
let totalReadings = 0;

type Snapshot = Record<'rollups' | 'outbox' | 'anchors' | 'events' | 'state', unknown[]>;

/** 30 minutes of the demo site, with m3 readings arriving late and a baseload gap. */
function scenario(): Reading[] {
  const out: Reading[] = [];
  const held: Reading[] = [];
  for (let k = 0; k < 180; k++) {
    for (const r of demoStep(k)) {
      if (r.meterId === 'b1' && k > 140 && k < 165) continue;
      if (r.meterId === 'm3' && k >= 100 && k < 112) held.push({ ...r, readTs: r.readTs + 150_000 });
      else out.push(r);
    }
    if (k === 115) out.push(...held);
  }
  return out;
}

/**
 * Runs the aggregator on `store` until it exits, or kills it with SIGKILL once its committed cursor reaches
 * `killAtCursor` (polled every few ms, so the kill lands at a random point of the aggregation whatever the load).
 */
function run(
  store: string,
  killAtCursor: number | null,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, '--config', config, '--store', store, '--once'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn', NODE_PATH: join(__dirname, '../../../node_modules') },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll =
      killAtCursor === null
        ? null
        : setInterval(() => {
            if (cursorOf(store) >= killAtCursor) child.kill('SIGKILL');
          }, 3);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (poll) clearInterval(poll);
      if (code !== 0 && signal === null) reject(new Error(`aggregator exited ${code}: ${stderr}`));
      else resolve({ code, signal, ms: Date.now() - started });
    });
  });
}

function cursorOf(file: string): number {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const row = db.prepare("SELECT value FROM state WHERE owner = 'lineAggregator' AND key = 'progress'").get() as
      { value: string } | undefined;
    return row === undefined ? 0 : (JSON.parse(row.value) as { cursor: number }).cursor;
  } catch {
    return 0; // tables not created yet
  } finally {
    db?.close();
  }
}

function snapshot(file: string): Snapshot {
  const db = new Database(file, { readonly: true });
  try {
    return {
      rollups: db.prepare('SELECT id, revision, body FROM rollups ORDER BY id').all(),
      outbox: db.prepare('SELECT seq, rollup_id, revision, window_start_ms FROM outbox ORDER BY seq').all(),
      anchors: db
        .prepare(
          'SELECT meter_id, point, value, ts, meter_serial, state_json FROM counter_anchors ORDER BY meter_id, point',
        )
        .all(),
      events: db.prepare('SELECT id, ts, meter_id, point, kind, detail_json FROM counter_events ORDER BY id').all(),
      state: db.prepare("SELECT key, value FROM state WHERE owner = 'lineAggregator' ORDER BY key").all(),
    };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  await build({
    entryPoints: [join(__dirname, '../src/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    external: ['better-sqlite3', 'aws-crt', 'aws-iot-device-sdk-v2'],
    logLevel: 'silent',
  });
  const store = openStore(base);
  const readings = scenario();
  totalReadings = readings.length;
  store.insertReadings(readings);
  store.close();
  const clean = tmp.file('clean.db');
  copyFileSync(base, clean);
  const r = await run(clean, null);
  cleanRunMs = r.ms;
  reference = snapshot(clean);
}, 120_000);

afterAll(() => {
  console.log(
    `crash runs: ${killed.length} of ${attempts} kills landed before the process finished, ${midRun} in the middle of aggregating; clean run ${cleanRunMs} ms`,
  );
  tmp.cleanup();
});

describe('SIGKILL at random moments', () => {
  it('the uninterrupted run wrote rollups, revisions and events', () => {
    expect(reference.rollups.length).toBeGreaterThan(300);
    expect((reference.rollups as { revision: number }[]).some((r) => r.revision > 1)).toBe(true);
    expect(reference.events.length).toBeGreaterThan(0);
  });

  for (let group = 0; group < 5; group++) {
    it(`runs ${group * 10 + 1}–${group * 10 + 10}: killed and restarted, the result equals the uninterrupted run`, async () => {
      for (let i = 0; i < 10; i++) {
        const file = tmp.file(`crash-${group}-${i}.db`);
        copyFileSync(base, file);
        const kills = 1 + ((group * 10 + i) % 3);
        for (let k = 0; k < kills; k++) {
          attempts++;
          const from = cursorOf(file);
          const r = await run(file, from + 1 + Math.floor(Math.random() * (totalReadings - from - 1)));
          if (r.signal === 'SIGKILL') killed.push(r.ms);
          const cursor = cursorOf(file);
          if (r.signal === 'SIGKILL' && cursor > 0 && cursor < totalReadings) midRun++;
        }
        await run(file, null);
        expect(snapshot(file)).toEqual(reference);
      }
    }, 600_000);
  }

  it('most kills hit the aggregation mid-run (the test exercised crashes)', () => {
    expect(midRun).toBeGreaterThanOrEqual(attempts * 0.5);
  });
});
