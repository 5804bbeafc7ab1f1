/**
 * The one retry policy of pcf-edge (ADR 0170). Every component spells it the same way in its configuration:
 * `retry: { initialDelayMs, maxDelayMs, multiplier, jitter }`, and every wait before a retry is computed here.
 */
export type Jitter = 'none' | 'full' | 'equal';

export interface RetrySettings {
  /** Wait after the first failure, ms. */
  initialDelayMs: number;
  /** Cap of every wait, ms (≥ initialDelayMs). */
  maxDelayMs: number;
  /** Growth of the wait per further consecutive failure (≥ 1). */
  multiplier: number;
  /**
   * Spread of the wait `d` (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015): `none` waits `d`;
   * `full` a uniform draw in [0, d]; `equal` d/2 plus a uniform draw in [0, d/2].
   */
  jitter: Jitter;
}

/**
 * Wait before the next attempt after `failures` consecutive failures (≥ 1), ms:
 * d = min(maxDelayMs, initialDelayMs × multiplier^(failures − 1)), then spread by `jitter` with `random()` ∈ [0, 1).
 * 0 for `failures` < 1.
 */
export function retryDelayMs(settings: RetrySettings, failures: number, random: () => number = Math.random): number {
  if (failures < 1) return 0;
  const { initialDelayMs, maxDelayMs, multiplier } = settings;
  // The exponent is bounded so a long outage cannot overflow to Infinity·0 = NaN on the way to the cap.
  const d = Math.min(maxDelayMs, initialDelayMs * multiplier ** Math.min(failures - 1, 64));
  switch (settings.jitter) {
    case 'none':
      return d;
    case 'full':
      return Math.floor(random() * d);
    case 'equal':
      return Math.floor(d / 2 + (random() * d) / 2);
  }
}

/** Semantic check of a `retry` object at JSON pointer `path` (the schema checked types and ranges). */
export function retryProblems(settings: Pick<RetrySettings, 'initialDelayMs' | 'maxDelayMs'>, path: string): string[] {
  return settings.maxDelayMs < settings.initialDelayMs
    ? [`${path}/maxDelayMs: ${settings.maxDelayMs} is smaller than initialDelayMs (${settings.initialDelayMs})`]
    : [];
}
