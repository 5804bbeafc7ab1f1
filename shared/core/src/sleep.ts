import { systemClock, type Clock } from './clock';

/** Wall milliseconds between looks at a clock other than the system clock while sleeping on it. */
const CLOCK_POLL_MS = 10;

export interface SleepOptions {
  /** Ends the sleep early; the promise then resolves (never rejects), so a stopping loop just looks at its flag. */
  signal?: AbortSignal;
  /**
   * Whose milliseconds: the system clock (default) sleeps on one timer; another clock (ManualClock, ScaledClock)
   * is looked at every 10 wall ms, so a backoff runs on simulated time.
   */
  clock?: Clock;
}

/** The one cancellable sleep: resolves after `ms` of `clock` time, or at once when `signal` is (or gets) aborted. */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  const { signal, clock = systemClock } = options;
  const until = clock.now() + ms;
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const check = (): void => {
      const left = until - clock.now();
      if (left <= 0) done();
      else timer = setTimeout(check, clock === systemClock ? left : Math.min(left, CLOCK_POLL_MS));
    };
    signal?.addEventListener('abort', done, { once: true });
    check();
  });
}
