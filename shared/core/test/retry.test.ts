import { CircuitBreaker, ManualClock, retryDelayMs, retryProblems, sleep, type RetrySettings } from '@pcf-edge/core';

const policy: RetrySettings = { initialDelayMs: 250, maxDelayMs: 30_000, multiplier: 2, jitter: 'none' };

describe('retryDelayMs', () => {
  it('grows by the multiplier from initialDelayMs and stops at maxDelayMs', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => retryDelayMs(policy, n));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(retryDelayMs({ ...policy, multiplier: 1.5 }, 3)).toBe(562.5);
  });

  it('is 0 before any failure and stays at the cap after very many failures', () => {
    expect(retryDelayMs(policy, 0)).toBe(0);
    expect(retryDelayMs(policy, 10_000)).toBe(30_000);
    expect(retryDelayMs({ ...policy, multiplier: 10 }, 1e9)).toBe(30_000);
  });

  it('full jitter draws in [0, d], equal jitter in [d/2, d]', () => {
    expect(retryDelayMs({ ...policy, jitter: 'full' }, 3, () => 0)).toBe(0);
    expect(retryDelayMs({ ...policy, jitter: 'full' }, 3, () => 0.999)).toBe(999);
    expect(retryDelayMs({ ...policy, jitter: 'equal' }, 3, () => 0)).toBe(500);
    expect(retryDelayMs({ ...policy, jitter: 'equal' }, 3, () => 0.999)).toBe(999);
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs({ ...policy, jitter: 'full' }, 20);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(30_000);
    }
  });

  it('retryProblems names a cap below the first delay', () => {
    expect(retryProblems(policy, '/retry')).toEqual([]);
    expect(retryProblems({ ...policy, maxDelayMs: 100 }, '/devices/0/retry')).toEqual([
      '/devices/0/retry/maxDelayMs: 100 is smaller than initialDelayMs (250)',
    ]);
  });
});

describe('sleep', () => {
  it('waits the given milliseconds of the system clock', async () => {
    const t0 = performance.now();
    await sleep(40);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
  });

  it('resolves at once when aborted, before or during the wait', async () => {
    const before = new AbortController();
    before.abort();
    const t0 = performance.now();
    await sleep(10_000, { signal: before.signal });
    const during = new AbortController();
    const p = sleep(10_000, { signal: during.signal });
    setTimeout(() => during.abort(), 20);
    await p;
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('runs on another clock: a ManualClock moved past the end ends it', async () => {
    const clock = new ManualClock(1000);
    let done = false;
    const p = sleep(60_000, { clock }).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 40));
    expect(done).toBe(false);
    clock.advance(60_000);
    await p;
    expect(done).toBe(true);
  });
});

describe('CircuitBreaker', () => {
  it('opens after `failures` consecutive failures, allows one trial after the cooldown, closes on success', () => {
    const b = new CircuitBreaker({ failures: 3, cooldownMs: 1000 });
    expect(b.failure(0)).toBe(false);
    expect(b.failure(0)).toBe(false);
    expect(b.failure(10)).toBe(true);
    expect(b.allow(500)).toBe(false);
    expect(b.remainingMs(500)).toBe(510);
    expect(b.allow(1010)).toBe(true);
    expect(b.failure(1010)).toBe(true); // the half-open trial failed: open again
    expect(b.allow(1500)).toBe(false);
    expect(b.allow(2010)).toBe(true);
    b.success();
    expect(b.isOpen).toBe(false);
    expect(b.consecutiveFailures).toBe(0);
    expect(b.remainingMs(2010)).toBe(0);
  });
});
