import type { MeterPoller, PollResult } from './poller';

export interface SchedulerHooks {
  onResult(result: PollResult, poller: MeterPoller): void;
  onError(err: unknown, poller: MeterPoller): void;
}

export interface Scheduler {
  start(): void;
  /** Clears every timer and resolves when the polls in flight have finished. */
  stop(): Promise<void>;
  stats(): { polls: number; overruns: number };
}

/**
 * Fixed-rate scheduling without drift: meter i's k-th poll is due at start + phase_i + k·pollIntervalMs (wall
 * clock), never "now + interval". Phases spread the meters evenly over their interval so requests do not come in
 * bursts. A tick that finds the previous poll of the same meter still running is skipped and counted as an
 * overrun; so is every tick the event loop was too late for.
 */
export function createScheduler(pollers: readonly MeterPoller[], hooks: SchedulerHooks): Scheduler {
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let stopped = true;
  let polls = 0;
  let overruns = 0;

  function run(poller: MeterPoller): Promise<void> {
    polls++;
    const p = poller
      .poll()
      .then((res) => hooks.onResult(res, poller))
      .catch((err: unknown) => hooks.onError(err, poller))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    return p;
  }

  function arm(poller: MeterPoller, base: number, k: number, busy: { p: Promise<void> | null }): void {
    if (stopped) return;
    const interval = poller.meter.pollIntervalMs;
    const due = base + k * interval;
    const t = setTimeout(() => {
      timers.delete(t);
      if (stopped) return;
      const now = Date.now();
      if (busy.p) {
        overruns++;
        poller.overruns++;
      } else {
        busy.p = run(poller).finally(() => (busy.p = null));
      }
      let next = k + 1;
      const behind = Math.floor((now - (base + next * interval)) / interval) + 1;
      if (behind > 0) {
        overruns += behind;
        poller.overruns += behind;
        next += behind;
      }
      arm(poller, base, next, busy);
    }, Math.max(0, due - Date.now()));
    timers.add(t);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      const start = Date.now();
      const n = pollers.length;
      pollers.forEach((poller, i) => {
        const phase = Math.floor((poller.meter.pollIntervalMs * i) / Math.max(1, n));
        arm(poller, start + phase, 0, { p: null });
      });
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([...inFlight]);
    },
    stats: () => ({ polls, overruns }),
  };
}
