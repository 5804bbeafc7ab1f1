/**
 * The chaos plan of a soak run: a list of faults, each at a real-time offset from the start of the run, generated
 * from a seed by a small PRNG, so the same (seed, options) always gives the same plan. Bounded: at most
 * `maxFaults`, all inside [chaosStartMs, chaosEndMs) — every fault (and the restart that ends it) is over by
 * chaosEndMs, so the stack runs fault-free until the end and drains. Two faults never overlap on one target.
 */
import { mulberry32 } from '../../test-support/prng';

export const COMPONENTS = [
  'modbus-collector',
  'opcua-collector',
  'line-aggregator',
  'stream-exporter',
  'cloud-sink-consumer',
] as const;
export type Component = (typeof COMPONENTS)[number];

/** Meter faults the simulator's control endpoint takes (simulators/meters faults.ts), by protocol. */
export const MODBUS_FAULTS = ['noReply', 'exception', 'garbage', 'disconnect', 'restart'] as const;
export const OPCUA_FAULTS = ['badStatus', 'restart'] as const;
export const COUNTER_EVENTS = ['counterReset', 'meterReplacement', 'rollover'] as const;

export type FaultKind =
  'kill' | 'streamManagerOutage' | 'kinesisOutage' | 'meterFault' | 'counterEvent' | 'diskFull' | 'clockJump';
export const FAULT_KINDS: readonly FaultKind[] = [
  'kill',
  'streamManagerOutage',
  'kinesisOutage',
  'meterFault',
  'counterEvent',
  'diskFull',
  'clockJump',
];

export interface PlannedFault {
  /** Real milliseconds after the run started. */
  atMs: number;
  kind: FaultKind;
  /** Component, `stream-manager`, `kinesis`, `store`, a Modbus device or meter id, or `opcua`. */
  target: string;
  /** Real milliseconds until the restart, the end of the outage or of the meter fault (0: instant). */
  durationMs: number;
  /** meterFault / counterEvent: the simulator fault type; clockJump: the jump in simulated ms. */
  detail?: string;
  jumpSimMs?: number;
}

export interface MeterTargets {
  /** Modbus device ids (transport faults) and meter ids (counter events, transport faults). */
  modbusDevices: string[];
  modbusMeters: string[];
  /** OPC UA counter meter ids (counter events); `opcua` is the transport target. */
  opcuaMeters: string[];
}

export interface PlanOptions {
  seed: number;
  chaosStartMs: number;
  chaosEndMs: number;
  maxFaults: number;
  meters: MeterTargets;
  /** Simulated ms per real ms (for meter fault durations, which the simulator takes in simulated seconds). */
  factor: number;
}

/** The chaos plan's PRNG (mulberry32, test-support/prng.ts). */
export const prng = mulberry32;

/** Relative weights of the kinds after each kind has appeared once. */
const WEIGHTS: Record<FaultKind, number> = {
  kill: 5,
  streamManagerOutage: 1,
  kinesisOutage: 1,
  meterFault: 4,
  counterEvent: 1,
  diskFull: 1,
  clockJump: 1,
};
/** Real-time duration range per kind, ms (restart delay, outage length, fault length). */
const DURATION: Record<FaultKind, [number, number]> = {
  kill: [1000, 6000],
  streamManagerOutage: [3000, 15_000],
  kinesisOutage: [3000, 15_000],
  meterFault: [2000, 10_000],
  counterEvent: [0, 0],
  diskFull: [3000, 12_000],
  clockJump: [4000, 12_000],
};
const DAY_MS = 86_400_000;

export function generatePlan(o: PlanOptions): PlannedFault[] {
  const rnd = prng(o.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const span = o.chaosEndMs - o.chaosStartMs;
  if (!(span > 0)) throw new Error(`the chaos window is empty (${o.chaosStartMs}..${o.chaosEndMs} ms)`);
  const kinds: FaultKind[] = [...FAULT_KINDS, ...COMPONENTS.slice(1).map((): FaultKind => 'kill')];
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  while (kinds.length < o.maxFaults) {
    let r = rnd() * total;
    for (const k of FAULT_KINDS)
      if ((r -= WEIGHTS[k]) < 0) {
        kinds.push(k);
        break;
      }
  }
  const busy = new Map<string, [number, number][]>();
  const free = (targets: string[], a: number, b: number): boolean =>
    targets.every((t) => (busy.get(t) ?? []).every(([x, y]) => b + 500 <= x || y + 500 <= a));
  const plan: PlannedFault[] = [];
  let killed = 0;
  for (const kind of kinds.slice(0, o.maxFaults)) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const [lo, hi] = DURATION[kind];
      const durationMs = Math.round(lo + rnd() * (hi - lo));
      if (durationMs >= span) continue;
      const atMs = Math.round(o.chaosStartMs + rnd() * (span - durationMs));
      const f = fault(
        kind,
        atMs,
        durationMs,
        kind === 'kill' ? (COMPONENTS[killed % COMPONENTS.length] as Component) : undefined,
      );
      // A clock jump restarts the aggregator and the exporter: it holds both.
      const holds =
        kind === 'clockJump'
          ? ['line-aggregator', 'stream-exporter']
          : kind === 'meterFault' && f.target === 'opcua'
            ? ['opcua']
            : [f.target];
      if (!free(holds, atMs, atMs + durationMs)) continue;
      for (const t of holds) busy.set(t, [...(busy.get(t) ?? []), [atMs, atMs + durationMs]]);
      if (kind === 'kill') killed++;
      plan.push(f);
      break;
    }
  }
  return plan.sort((a, b) => a.atMs - b.atMs || a.target.localeCompare(b.target));

  function fault(kind: FaultKind, atMs: number, durationMs: number, component?: Component): PlannedFault {
    switch (kind) {
      case 'kill':
        return { atMs, kind, target: component ?? pick(COMPONENTS), durationMs };
      case 'streamManagerOutage':
        return { atMs, kind, target: 'stream-manager', durationMs };
      case 'kinesisOutage':
        return { atMs, kind, target: 'kinesis', durationMs };
      case 'diskFull':
        return { atMs, kind, target: 'store', durationMs };
      case 'clockJump':
        // The gateway's processing clock (aggregator, exporter) steps forward by 1–9 days, then back.
        return {
          atMs,
          kind,
          target: 'line-aggregator+stream-exporter',
          durationMs,
          jumpSimMs: (1 + Math.floor(rnd() * 9)) * DAY_MS,
        };
      case 'meterFault': {
        const opcua = o.meters.opcuaMeters.length > 0 && rnd() < 0.3;
        if (opcua) return { atMs, kind, target: 'opcua', durationMs, detail: pick(OPCUA_FAULTS) };
        const device = rnd() < 0.5;
        return {
          atMs,
          kind,
          target: device ? pick(o.meters.modbusDevices) : pick(o.meters.modbusMeters),
          durationMs,
          detail: pick(MODBUS_FAULTS),
        };
      }
      case 'counterEvent':
        return {
          atMs,
          kind,
          target: pick([...o.meters.modbusMeters, ...o.meters.opcuaMeters]),
          durationMs: 0,
          detail: pick(COUNTER_EVENTS),
        };
    }
  }
}

export function faultsByKind(plan: readonly PlannedFault[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of plan) {
    const key = f.detail && f.kind !== 'clockJump' ? `${f.kind}:${f.detail}` : f.kind;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

export function renderPlan(plan: readonly PlannedFault[], seed: number): string {
  const rows = plan.map((f) => {
    const what = f.kind === 'clockJump' ? `+${((f.jumpSimMs ?? 0) / DAY_MS).toFixed(0)} d` : (f.detail ?? '');
    return `  ${(f.atMs / 1000).toFixed(1).padStart(7)} s  ${f.kind.padEnd(20)} ${f.target.padEnd(34)} ${what.padEnd(16)} ${f.durationMs > 0 ? `${(f.durationMs / 1000).toFixed(1)} s` : 'instant'}`;
  });
  return [
    `chaos plan (seed ${seed}, ${plan.length} faults):`,
    `  ${'at'.padStart(7)}    ${'kind'.padEnd(20)} ${'target'.padEnd(34)} ${'detail'.padEnd(16)} duration`,
    ...rows,
  ].join('\n');
}
