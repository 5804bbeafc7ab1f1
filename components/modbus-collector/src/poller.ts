import { isPcfError, type CircuitBreaker, type Clock } from '@pcf-edge/core';
import { getProfile } from '@pcf-edge/profiles';
import type { MeterHealth, MeterState } from '@pcf-edge/store';

import { meterPoints, type DeviceConfig, type MeterConfig, type ResolvedPoint } from './config';
import { UNIT_FAILURE_EXCEPTIONS, type DeviceLink, type ReadGroup } from './link';
import { planRequests, splitRequest, type Hole, type PlanLimits, type ReadRequest } from './planner';
import { PollReadings } from './poll-readings';
import { assess, pointReader, type Assessed, type PointReader } from './quality';

export const COLLECTOR_NAME = 'modbus-collector';

/** Outcome of one poll of one meter. */
export interface PollResult {
  readings: PollReadings;
  requests: number;
  ok: boolean;
}

/**
 * Polls one meter: its request plan (rebuilt when a read gets exception 2), its health. Never called
 * concurrently for the same meter (the scheduler skips a tick while a poll runs). A poll queues all its reads on
 * the device's link at once; a link failure (timeout, disconnect) or a unit-failure exception marks the meter's
 * remaining reads bad with the same reason instead of sending them to a device in doubt.
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
  /** Decoder and not-available marker per point, built once. */
  private readonly readers: Map<ResolvedPoint, PointReader>;

  constructor(
    readonly site: string,
    readonly meter: MeterConfig,
    device: DeviceConfig,
    private readonly link: DeviceLink,
    private readonly breaker: CircuitBreaker,
    private readonly clock: Clock,
  ) {
    this.points = meterPoints(meter);
    this.readers = new Map(this.points.map((p) => [p, pointReader(p)]));
    const profileLimit = meter.profile ? getProfile(meter.profile).maxRegistersPerRead : undefined;
    this.limits = {
      maxRegistersPerRead: Math.min(device.maxRegistersPerRead, profileLimit ?? 125),
      maxGapRegisters: device.maxGapRegisters,
    };
    this.plan = planRequests(meter.unitId, this.points, this.limits);
    this.health = {
      meterId: meter.id,
      site,
      line: meter.line,
      collector: COLLECTOR_NAME,
      state: 'unknown',
      lastGoodTs: null,
      lastReadTs: null,
      consecutiveFailures: 0,
      lastError: null,
      updatedTs: clock.now(),
    };
  }

  healthRow(): MeterHealth {
    return { ...this.health };
  }

  /** One poll. A reply that took longer than the poll interval is stale: its instant is uncertain by more than one interval. */
  async poll(): Promise<PollResult> {
    this.polls++;
    const out = new PollReadings(this.site, this.meter);
    let requests = 0;
    let failure: string | null = null;
    if (!this.breaker.allow(Date.now())) {
      failure = `circuit open (${this.breaker.consecutiveFailures} consecutive failures; retry in ${this.breaker.remainingMs(Date.now())} ms)`;
      this.markAll(this.points, { value: null, quality: 'bad', qualityReason: failure }, out);
      this.finish(out, 'circuitOpen', failure);
      return { readings: out, requests, ok: false };
    }
    // All reads of the poll are queued at once (the link sends them one at a time); exception-2 splits go out in
    // a further round.
    const group: ReadGroup = { failed: null };
    let round = this.plan;
    while (round.length > 0) {
      const next: ReadRequest[] = [];
      const results = await Promise.allSettled(
        round.map((r) =>
          this.link
            .read(r, group)
            .then(({ data, rttMs }) => ({ data, readTs: this.clock.now(), late: rttMs - this.meter.pollIntervalMs })),
        ),
      );
      results.forEach((res, i) => {
        const request = round[i] as ReadRequest;
        if (res.status === 'fulfilled') {
          requests++;
          const { data, readTs, late } = res.value;
          for (const p of request.points) out.push(p.point, readTs, assess(p, data, late, this.reader(p.point)));
          return;
        }
        const err: unknown = res.reason;
        if (!isPcfError(err)) throw err;
        const reason = String(err.details.reason ?? err.message);
        const exception = err.details.exceptionCode as number | undefined;
        if (exception !== undefined) requests++;
        if (exception === 2 && request.points.length > 1) {
          const { parts, hole } = splitRequest(request);
          if (hole) this.holes.push(hole);
          this.plan = this.plan.flatMap((r) => (r === request ? parts : [r]));
          next.push(...parts);
          return;
        }
        if (exception === undefined || UNIT_FAILURE_EXCEPTIONS.has(exception)) failure ??= reason;
        this.markAll(
          request.points.map((p) => p.point),
          { value: null, quality: 'bad', qualityReason: reason },
          out,
        );
        this.health.lastError = reason;
      });
      round = next;
    }
    if (failure) this.breaker.failure(Date.now());
    else this.breaker.success();
    const state = out.good === out.length ? 'ok' : out.good > 0 ? 'degraded' : 'failing';
    this.finish(out, state, failure);
    return { readings: out, requests, ok: failure === null };
  }

  private reader(p: ResolvedPoint): PointReader {
    const r = this.readers.get(p);
    if (!r) throw new Error(`point ${p.name} of meter ${this.meter.id} has no reader`);
    return r;
  }

  private markAll(points: ResolvedPoint[], a: Assessed, out: PollReadings): void {
    const ts = this.clock.now();
    for (const p of points) out.push(p, ts, a);
  }

  private finish(out: PollReadings, state: MeterState, failure: string | null): void {
    const now = this.clock.now();
    const h = this.health;
    h.state = state;
    h.updatedTs = now;
    h.lastReadTs = now;
    if (out.good > 0) {
      h.lastGoodTs = now;
      h.consecutiveFailures = 0;
    } else {
      h.consecutiveFailures++;
    }
    if (failure) h.lastError = failure;
  }
}
