/** Injectable time source: components take a Clock so tests and accelerated simulations control time. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/**
 * Simulated time that runs `factor` times faster than the wall clock from `startMs` (simulated) at the moment of
 * construction (wall). Used by the simulators and the accelerated local stack.
 */
export class ScaledClock implements Clock {
  private readonly wallStart: number;
  constructor(
    private readonly startMs: number,
    private readonly factor: number,
    private readonly wall: Clock = systemClock,
  ) {
    this.wallStart = wall.now();
  }
  now(): number {
    return Math.floor(this.startMs + (this.wall.now() - this.wallStart) * this.factor);
  }
}
