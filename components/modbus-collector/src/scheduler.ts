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
 * bursts. A meter has one timer at a time: when a poll ends it arms the first due time not yet passed, and every
 * due time skipped (the poll was still running, or the event loop was late) counts as an overrun.
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

  /** Arms poll k, or the first later one whose due time has not passed yet (the ones passed are overruns). */
  function arm(poller: MeterPoller, base: number, k: number): void {
    if (stopped) return;
    const interval = poller.meter.pollIntervalMs;
    const missed = Math.max(0, Math.floor((Date.now() - (base + k * interval)) / interval));
    if (missed > 0) {
      overruns += missed;
      poller.overruns += missed;
    }
    const next = k + missed;
    const t = setTimeout(
      () => {
        timers.delete(t);
        if (stopped) return;
        void run(poller).finally(() => arm(poller, base, next + 1));
      },
      Math.max(0, base + next * interval - Date.now()),
    );
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
        arm(poller, start + phase, 0);
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
