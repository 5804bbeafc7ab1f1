import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MIGRATIONS, openStore } from '@pcf-edge/store';
import { tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const WORKER = join(__dirname, 'fixtures', 'store-worker.ts');
const ITERATIONS = 150;
const BATCH = 20;

function runWorker(path: string, id: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', WORKER, path, String(id), String(ITERATIONS)], {
      cwd: join(__dirname, '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('three processes write readings and update state on one fresh file at once; no SQLITE_BUSY escapes', async () => {
  const path = tmp.file();
  const results = await Promise.all([1, 2, 3].map((id) => runWorker(path, id)));
  for (const r of results) {
    expect(r.stderr).not.toMatch(/SQLITE_BUSY|failed/);
    expect(r.code).toBe(0);
  }
  const store = openStore(path, { readonly: true });
  try {
    const all = store.readingsAfter(0, 1_000_000);
    expect(all).toHaveLength(3 * ITERATIONS * BATCH);
    expect(new Set(all.map((r) => r.seq)).size).toBe(all.length);
    for (const id of [1, 2, 3]) {
      const mine = all.filter((r) => r.meterId === `w${id}`).map((r) => r.value);
      expect(mine).toEqual(Array.from({ length: ITERATIONS * BATCH }, (_, i) => i)); // each writer's order kept
      expect(store.getState(`w${id}`, 'iteration')).toBe(String(ITERATIONS - 1));
    }
    expect(store.getState('shared', 'counter')).toBe(String(3 * ITERATIONS)); // no lost update
    expect(store.db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
  } finally {
    store.close();
  }
}, 120_000);
