export interface CircuitBreakerSettings {
  /** Consecutive failed attempts that open the breaker. */
  failures: number;
  /** How long an open breaker refuses attempts before it allows one trial, ms. */
  cooldownMs: number;
}

/**
 * Circuit breaker for one target (a Modbus unit id, for instance). Closed: attempts go out. After `failures`
 * consecutive failed attempts it opens for `cooldownMs`; while open, `allow` is false and callers fail without
 * touching the wire. When the cooldown ends one trial is allowed (half-open): success closes it, failure opens it
 * again. Times are epoch ms passed by the caller, so tests need no timers.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private halfOpen = false;

  constructor(private readonly settings: CircuitBreakerSettings) {}

  allow(now: number): boolean {
    if (this.openUntil === 0) return true;
    if (now < this.openUntil) return false;
    this.halfOpen = true;
    return true;
  }

  get isOpen(): boolean {
    return this.openUntil !== 0;
  }

  get consecutiveFailures(): number {
    return this.consecutive;
  }

  success(): void {
    this.consecutive = 0;
    this.openUntil = 0;
    this.halfOpen = false;
  }

  /** Records a failed attempt; returns true when this failure opened the breaker. */
  failure(now: number): boolean {
    this.consecutive++;
    if (this.halfOpen || (this.openUntil === 0 && this.consecutive >= this.settings.failures)) {
      this.openUntil = now + this.settings.cooldownMs;
      this.halfOpen = false;
      return true;
    }
    return false;
  }

  /** Milliseconds until a trial is allowed (0 when closed or due). */
  remainingMs(now: number): number {
    return this.openUntil === 0 ? 0 : Math.max(0, this.openUntil - now);
  }
}
