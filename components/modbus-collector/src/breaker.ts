/**
 * Circuit breaker for one unit id. Closed: requests go out. After `failures` consecutive failed requests it opens
 * for `cooldownMs`; while open, `allow` is false and callers mark readings bad without touching the wire. When
 * the cooldown ends one trial poll is allowed (half-open): success closes it, failure opens it again.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private halfOpen = false;

  constructor(private readonly settings: { failures: number; cooldownMs: number }) {}

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

  /** Records a failed request; returns true when this failure opened the breaker. */
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
