import type { Reading } from '@pcf-edge/core';
import type { MeterHealth } from '@pcf-edge/store';

/** Captures what the collector writes, with a way to wait for a matching reading. */
export interface Capture {
  readings: Reading[];
  health: MeterHealth[];
  deps: { readings: { write(r: Reading): void }; health: { upsertMeterHealth(rows: MeterHealth[]): void } };
  /** The first reading so far matching `pred`, else the next one to arrive. */
  waitFor(pred: (r: Reading) => boolean, timeoutMs?: number, what?: string): Promise<Reading>;
}

export function capture(): Capture {
  const readings: Reading[] = [];
  const health: MeterHealth[] = [];
  const waiters: { pred: (r: Reading) => boolean; resolve: (r: Reading) => void }[] = [];
  return {
    readings,
    health,
    deps: {
      readings: {
        write(r) {
          readings.push(r);
          for (const w of [...waiters]) {
            if (w.pred(r)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(r);
            }
          }
        },
      },
      health: {
        upsertMeterHealth: (rows) => {
          health.push(...rows);
        },
      },
    },
    waitFor(pred, timeoutMs = 30_000, what = 'reading') {
      const seen = readings.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(new Error(`timed out waiting for ${what}; last readings: ${JSON.stringify(readings.slice(-5))}`)),
          timeoutMs,
        );
        const w = {
          pred,
          resolve: (r: Reading) => {
            clearTimeout(t);
            resolve(r);
          },
        };
        waiters.push(w);
      });
    },
  };
}

/** Polls `check` every 100 ms until it returns true; rejects naming `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean,
  timeoutMs: number,
  what: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
