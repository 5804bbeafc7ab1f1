import { PcfError } from '@pcf-edge/core';
import type { FaultSpec, FaultType, ScheduledFault } from './scenario/types';

/**
 * Fault bookkeeping. Three families:
 * - counter events (counterReset, meterReplacement, rollover) change what a meter's counters show from `at` on;
 *   they are part of the meter's history and are never cleared;
 * - transport faults (noReply, exception, nan, garbage, stuck, badStatus) hold during [at, at + durationSec)
 *   (open-ended without durationSec) and are applied by the protocol servers at request time;
 * - actions (disconnect, restart) are carried out once by the simulator tick when `at` is reached; disconnect
 *   also refuses new connections during its duration, restart keeps the server down for its duration.
 * Times are simulated epoch ms.
 */
export type CounterEventType = Extract<FaultType, 'counterReset' | 'meterReplacement' | 'rollover'>;
export type ActionType = Extract<FaultType, 'disconnect' | 'restart'>;

export interface Fault extends FaultSpec {
  id: string;
  target: string;
  atMs: number;
  /** Exclusive end; Infinity when open-ended. */
  endMs: number;
}

const COUNTER_EVENTS: readonly FaultType[] = ['counterReset', 'meterReplacement', 'rollover'];
const ACTIONS: readonly FaultType[] = ['disconnect', 'restart'];

export function isCounterEvent(f: Fault): f is Fault & { type: CounterEventType } {
  return COUNTER_EVENTS.includes(f.type);
}

export function isAction(f: Fault): f is Fault & { type: ActionType } {
  return ACTIONS.includes(f.type);
}

export function parseFaultTime(at: string | number | undefined, nowMs: number): number {
  if (at === undefined) return nowMs;
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new PcfError('ERR_USAGE', `fault time is not a date: ${String(at)}`, { at });
  return ms;
}

export class FaultBook {
  private readonly faults: Fault[] = [];
  private seq = 0;

  add(target: string, spec: FaultSpec, nowMs: number): Fault {
    const atMs = parseFaultTime(spec.at, nowMs);
    const fault: Fault = { ...spec, id: `f${++this.seq}`, target, atMs, endMs: atMs };
    const instant = isCounterEvent(fault) || isAction(fault);
    fault.endMs = spec.durationSec !== undefined ? atMs + spec.durationSec * 1000 : instant ? atMs : Infinity;
    this.faults.push(fault);
    this.faults.sort((a, b) => a.atMs - b.atMs || Number(a.id.slice(1)) - Number(b.id.slice(1)));
    return fault;
  }

  addScheduled(list: readonly ScheduledFault[], nowMs: number): void {
    for (const f of list) this.add(f.target, f, nowMs);
  }

  /** Removes transport faults and actions (of `targets` if given); counter events stay. Returns how many. */
  clear(targets?: ReadonlySet<string>): Fault[] {
    const removed: Fault[] = [];
    for (let i = this.faults.length - 1; i >= 0; i--) {
      const f = this.faults[i] as Fault;
      if (!isCounterEvent(f) && (!targets || targets.has(f.target))) removed.push(...this.faults.splice(i, 1));
    }
    return removed;
  }

  /** Transport faults on any of `targets` active at t, in start order. */
  activeTransport(targets: readonly string[], t: number): Fault[] {
    return this.faults.filter(
      (f) => !isCounterEvent(f) && !isAction(f) && targets.includes(f.target) && f.atMs <= t && t < f.endMs,
    );
  }

  /** Counter events on any of `targets` at or before t, in time order. */
  counterEvents(targets: readonly string[], t: number): Fault[] {
    return this.faults.filter((f) => isCounterEvent(f) && targets.includes(f.target) && f.atMs <= t);
  }

  actions(): Fault[] {
    return this.faults.filter(isAction);
  }

  list(): readonly Fault[] {
    return this.faults;
  }
}
