/** A pending call of preciseTimeout; cancel() is harmless after it ran. */
export interface PreciseTimer {
  cancel(): void;
}

/**
 * Calls `fn` once `ms` (fractional) have passed on performance.now(), for waits of a few milliseconds that must
 * not end early — a serial line's 1.75 ms inter-frame silence, a paced reply. Node timers count whole, possibly
 * stale, milliseconds and truncate fractions, so a plain setTimeout(fn, 1.75) may run after 1 ms: this one waits the
 * whole milliseconds with a timer and the last fraction on setImmediate turns, then checks the clock again.
 * Not for long or simulated-time waits (those use `sleep`).
 */
export function preciseTimeout(fn: () => void, ms: number): PreciseTimer {
  const at = performance.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let cancelled = false;
  const check = (): void => {
    timer = undefined;
    immediate = undefined;
    if (cancelled) return;
    const left = at - performance.now();
    if (left <= 0) fn();
    else if (left < 1) immediate = setImmediate(check);
    else timer = setTimeout(check, Math.floor(left));
  };
  check();
  return {
    cancel() {
      cancelled = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}
