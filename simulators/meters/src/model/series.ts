/**
 * A rate that is constant within each phase of a cycle repeated from `startMs`; the rate of occurrence k (the k-th
 * phase since start) is `rate(k, phaseIndex)`. `integral(t)` = ∫ rate dt from startMs to t in rate-units × hours,
 * exact up to double rounding, computed from per-cycle prefix sums cached as time moves on: the value at any
 * instant is a pure function of the definition.
 */
export class CycleSeries {
  private readonly offsets: number[] = [];
  private readonly cycleMs: number;
  /** prefix[c] = integral over cycles 0..c−1. */
  private readonly prefix: number[] = [0];

  constructor(
    readonly startMs: number,
    private readonly phaseMs: readonly number[],
    private readonly rate: (occurrence: number, phase: number) => number,
  ) {
    let acc = 0;
    for (const ms of phaseMs) {
      this.offsets.push(acc);
      acc += ms;
    }
    this.cycleMs = acc;
    if (!(acc > 0)) throw new RangeError('a cycle needs a positive length');
  }

  /** Phase index and occurrence number at t (t before start counts as the first phase). */
  locate(t: number): { cycle: number; phase: number; occurrence: number; intoPhaseMs: number } {
    const since = Math.max(0, t - this.startMs);
    const cycle = Math.floor(since / this.cycleMs);
    const within = since - cycle * this.cycleMs;
    let phase = this.phaseMs.length - 1;
    while (phase > 0 && (this.offsets[phase] as number) > within) phase--;
    return {
      cycle,
      phase,
      occurrence: cycle * this.phaseMs.length + phase,
      intoPhaseMs: within - (this.offsets[phase] as number),
    };
  }

  valueAt(t: number): number {
    const { occurrence, phase } = this.locate(t);
    return this.rate(occurrence, phase);
  }

  integral(t: number): number {
    if (t <= this.startMs) return 0;
    const { cycle, phase, intoPhaseMs } = this.locate(t);
    let sum = this.prefixTo(cycle);
    const n = this.phaseMs.length;
    for (let p = 0; p < phase; p++) sum += (this.rate(cycle * n + p, p) * (this.phaseMs[p] as number)) / 3_600_000;
    sum += (this.rate(cycle * n + phase, phase) * intoPhaseMs) / 3_600_000;
    return sum;
  }

  private prefixTo(cycle: number): number {
    const n = this.phaseMs.length;
    while (this.prefix.length <= cycle) {
      const c = this.prefix.length - 1;
      let e = 0;
      for (let p = 0; p < n; p++) e += (this.rate(c * n + p, p) * (this.phaseMs[p] as number)) / 3_600_000;
      this.prefix.push((this.prefix[c] as number) + e);
    }
    return this.prefix[cycle] as number;
  }
}
