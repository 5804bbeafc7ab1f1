import { isPcfError, type Clock, type Reading } from '@pcf-edge/core';
import { getProfile } from '@pcf-edge/profiles';
import type { MeterHealth, MeterState } from '@pcf-edge/store';
import type { CircuitBreaker } from './breaker';
import { meterPoints, type DeviceConfig, type MeterConfig, type ResolvedPoint } from './config';
import type { DeviceLink, ReadData } from './link';
import { planRequests, splitRequest, type Hole, type PlanLimits, type ReadRequest } from './planner';
import { assess, makeReading, type Assessed } from './quality';

export const COLLECTOR_NAME = 'modbus-collector';

/** Outcome of one poll of one meter. */
export interface PollResult {
  readings: Reading[];
  requests: number;
  ok: boolean;
}

/** Exception codes that say the unit itself is unwell (device failure, busy, gateway path/target) — they count for the breaker. */
const UNIT_FAILURE_EXCEPTIONS = new Set([4, 5, 6, 10, 11]);

/**
 * Polls one meter: its request plan (rebuilt when a read gets exception 2), its health. Never called
 * concurrently for the same meter (the scheduler skips a tick while a poll runs). Reads of one meter go out one
 * after another; a link failure (timeout, disconnect) marks the meter's remaining points bad with the same reason
 * instead of sending more requests to a device in doubt.
 */
export class MeterPoller {
  readonly points: ResolvedPoint[];
  plan: ReadRequest[];
  readonly holes: Hole[] = [];
  /** Read-size limits: the device's, lowered to the profile's when the meter model accepts fewer registers. */
  readonly limits: PlanLimits;
  overruns = 0;
  polls = 0;
  private health: MeterHealth;

  constructor(
    readonly site: string,
    readonly meter: MeterConfig,
    device: DeviceConfig,
    private readonly link: DeviceLink,
    private readonly breaker: CircuitBreaker,
    private readonly clock: Clock,
  ) {
    this.points = meterPoints(meter);
    const profileLimit = meter.profile ? getProfile(meter.profile).maxRegistersPerRead : undefined;
    this.limits = { maxRegistersPerRead: Math.min(device.maxRegistersPerRead, profileLimit ?? 125), maxGapRegisters: device.maxGapRegisters };
    this.plan = planRequests(meter.unitId, this.points, this.limits);
    this.health = {
      meterId: meter.id, site, line: meter.line, collector: COLLECTOR_NAME, state: 'unknown',
      lastGoodTs: null, lastReadTs: null, consecutiveFailures: 0, lastError: null, updatedTs: clock.now(),
    };
  }

  healthRow(): MeterHealth {
    return { ...this.health };
  }

  /** One poll. `deadline` (epoch ms, wall clock) is when the next poll is due; replies after it are stale. */
  async poll(deadline = Infinity): Promise<PollResult> {
    this.polls++;
    const out: Reading[] = [];
    let requests = 0;
    let failure: string | null = null;
    if (!this.breaker.allow(Date.now())) {
      failure = `circuit open (${this.breaker.consecutiveFailures} consecutive failures; retry in ${this.breaker.remainingMs(Date.now())} ms)`;
      this.markAll(this.points, { value: null, quality: 'bad', qualityReason: failure }, out);
      this.finish(out, 'circuitOpen', failure);
      return { readings: out, requests, ok: false };
    }
    const queue = [...this.plan];
    for (let i = 0; i < queue.length; i++) {
      const request = queue[i] as ReadRequest;
      if (failure) {
        this.markAll(request.points.map((p) => p.point), { value: null, quality: 'bad', qualityReason: failure }, out);
        continue;
      }
      requests++;
      try {
        const data: ReadData = await this.link.read(request);
        const readTs = this.clock.now();
        const late = Date.now() - deadline;
        for (const p of request.points) out.push(makeReading(this.site, this.meter, p.point, readTs, assess(p, data, late)));
      } catch (err) {
        if (!isPcfError(err)) throw err;
        const reason = String(err.details.reason ?? err.message);
        const exception = err.details.exceptionCode as number | undefined;
        if (exception === 2 && request.points.length > 1) {
          const { parts, hole } = splitRequest(request);
          if (hole) this.holes.push(hole);
          this.plan = this.plan.flatMap((r) => (r === request ? parts : [r]));
          queue.splice(i + 1, 0, ...parts);
          continue;
        }
        if (exception === undefined || UNIT_FAILURE_EXCEPTIONS.has(exception)) failure = reason;
        this.markAll(request.points.map((p) => p.point), { value: null, quality: 'bad', qualityReason: reason }, out);
        this.health.lastError = reason;
      }
    }
    if (failure) this.breaker.failure(Date.now());
    else this.breaker.success();
    const good = out.some((r) => r.quality === 'good');
    const allGood = out.every((r) => r.quality === 'good');
    this.finish(out, allGood ? 'ok' : good ? 'degraded' : 'failing', failure);
    return { readings: out, requests, ok: failure === null };
  }

  private markAll(points: ResolvedPoint[], a: Assessed, out: Reading[]): void {
    const ts = this.clock.now();
    for (const p of points) out.push(makeReading(this.site, this.meter, p, ts, a));
  }

  private finish(out: Reading[], state: MeterState, failure: string | null): void {
    const now = this.clock.now();
    const h = this.health;
    h.state = state;
    h.updatedTs = now;
    h.lastReadTs = now;
    if (out.some((r) => r.quality === 'good')) {
      h.lastGoodTs = now;
      h.consecutiveFailures = 0;
    } else {
      h.consecutiveFailures++;
    }
    if (failure) h.lastError = failure;
  }
}
