import { renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '@pcf-edge/core';
import type { MeterSimulator } from './simulator';

/**
 * Writes `sim.truth.at(now)` to `file` as JSON every `intervalMs` of wall time (and once at start and stop),
 * atomically (temp file + rename) so a reader never sees half a document.
 */
export interface TruthWriter {
  start(): void;
  stop(): void;
}

export function createTruthWriter(
  sim: MeterSimulator,
  file: string,
  opts: { intervalMs: number; log: Logger },
): TruthWriter {
  let timer: NodeJS.Timeout | undefined;
  const write = (): void => {
    try {
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify(sim.truth.at(sim.now()), null, 2));
      renameSync(tmp, file);
    } catch (err) {
      opts.log.error({ err, file }, 'truth write failed');
    }
  };
  return {
    start() {
      write();
      timer = setInterval(write, opts.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      write();
    },
  };
}
