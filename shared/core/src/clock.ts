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
    wallStart?: number,
  ) {
    this.wallStart = wallStart ?? wall.now();
  }
  now(): number {
    return Math.floor(this.startMs + (this.wall.now() - this.wallStart) * this.factor);
  }
}

/** Env variable that puts every process of an accelerated local stack on one simulated timeline. */
export const SIM_CLOCK_ENV = 'PCF_EDGE_SIM_CLOCK';

/**
 * The process clock: system time, or — when `PCF_EDGE_SIM_CLOCK=<simStartMs>,<wallStartMs>,<factor>` is set —
 * simulated time shared by every process started with the same value.
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const spec = env[SIM_CLOCK_ENV];
  if (!spec) return systemClock;
  const parts = spec.split(',').map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n)) || (parts[2] as number) <= 0) {
    throw new Error(`${SIM_CLOCK_ENV} must be "<simStartMs>,<wallStartMs>,<factor>", got ${JSON.stringify(spec)}`);
  }
  const [simStart, wallStart, factor] = parts as [number, number, number];
  return new ScaledClock(simStart, factor, systemClock, wallStart);
}

export function simClockEnvValue(simStartMs: number, factor: number, wallStartMs = Date.now()): string {
  return `${simStartMs},${wallStartMs},${factor}`;
}
