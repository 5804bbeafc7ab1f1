import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { createLogger, loadConfig, watchConfigFile } from '@pcf-edge/core';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['site'],
  properties: {
    site: { type: 'string', minLength: 1 },
    batch: { type: 'integer', default: 10, 'x-restart': true },
  },
};
type Cfg = { site: string; batch: number };

/**
 * Writes `text` to `file` until `cond` holds (every 200 ms, at most 30 s): the watcher's first stat may land after
 * a single early write on a loaded machine, and would then never see a change.
 */
async function writeUntil(file: string, text: string, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1500 && !cond(); i++) {
    if (i % 10 === 0) writeFileSync(file, text);
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('watchConfigFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pcf-watch-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies a valid change, rejects an invalid one with every path, and names changed restart-only keys', async () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ site: 'a' }));
    const chunks: string[] = [];
    const dest: DestinationStream = { write: (s: string) => void chunks.push(s) };
    const log = createLogger({ component: 'test', destination: dest });
    const lines = () => chunks.map((c) => JSON.parse(c) as Record<string, unknown>);
    let running = loadConfig<Cfg>(file, schema);
    const applied: Cfg[] = [];
    const watcher = watchConfigFile<Cfg>({
      file,
      load: (f) => loadConfig<Cfg>(f, schema),
      current: () => running,
      apply: (c) => {
        applied.push(c);
        running = c;
        return Promise.resolve();
      },
      restartKeys: ['batch'],
      log,
      intervalMs: 20,
    });
    try {
      await writeUntil(file, JSON.stringify({ site: 'b' }), () => applied.length >= 1, 'the valid change');
      expect(applied[0]?.site).toBe('b');

      await writeUntil(
        file,
        JSON.stringify({ site: '', other: 1 }),
        () => lines().some((l) => l.level === 50),
        'the rejection',
      );
      const rejected = lines().find((l) => l.level === 50);
      expect(rejected?.msg).toBe('configuration file change rejected; keeping the running configuration');
      expect(rejected?.errors).toEqual(["/: unknown property 'other'", '/site: must NOT have fewer than 1 characters']);
      const before = applied.length;
      expect(applied.every((c) => c.site === 'b')).toBe(true); // the rejected file was never applied

      await writeUntil(
        file,
        JSON.stringify({ site: 'b', batch: 99 }),
        () => applied.length > before,
        'the restart-only change',
      );
      const restart = lines().find((l) => l.msg === 'configuration keys changed that apply only after a restart');
      expect(restart?.keys).toEqual(['batch']);
    } finally {
      watcher.stop();
    }
  });
});
