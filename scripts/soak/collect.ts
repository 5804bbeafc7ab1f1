import { microToNumber, type CloudSinkRepository } from '@pcf-edge/cloud-sink';
import { opcuaPoints, type Scenario, type TruthSnapshot } from '@pcf-edge/meter-simulators';
import { getProfile } from '@pcf-edge/profiles';
import type { GatewayStore } from '@pcf-edge/store';
import {
  QUANTITIES,
  type CloudLineWindow,
  type EnergyQuantity,
  type LineDiscontinuity,
  type ReconcileInput,
  type RollupRef,
} from './reconcile';

/**
 * Gathers what reconcile() compares, from the running soak stack: the gateway store (read-only), the cloud-sink
 * repository and the simulator's ground truth (GET /truth?ts=…), and derives the tolerances. The register
 * discontinuities come from the ground truth too: those on a line's registers (lineRegisters) up to a window after
 * the span, whoever triggered them.
 *
 * Tolerance of one window edge, per line and quantity (see ADR 0110):
 * - register resolution: a counter reading is exact only to one register step (integers: the scale; float32:
 *   |value| × 2^-24), summed over the line's lineTotal meters of that quantity;
 * - reading time stamps: a Modbus reading is stamped by the collector when the reply arrives, after the meter
 *   computed it; `stampAllowanceSimMs` bounds that delay (simulated ms), times the line's rate at the edge;
 * - interpolation: between two readings the aggregator assumes a constant rate; where the line's rate changes at
 *   the edge (phase change) the split across the edge is off by at most |Δrate| × the poll interval.
 */
const QUANTITY_OF: Record<EnergyQuantity, string> = { electricityKWh: 'activeEnergyImport', gasM3: 'gasVolume' };

interface CounterRegister {
  meterId: string;
  point: string;
  type: string;
  scale: number;
}

/** The register the aggregator counts per (line, quantity): each lineTotal meter's first point of that quantity. */
function lineRegisters(scenario: Scenario, line: string, q: EnergyQuantity): CounterRegister[] {
  const out: CounterRegister[] = [];
  const quantity = QUANTITY_OF[q];
  for (const d of scenario.modbus.devices) {
    for (const m of d.meters) {
      if (m.line !== line || m.role !== 'lineTotal') continue;
      const p = getProfile(m.profile).points.find((x) => x.kind === 'counter' && x.quantity === quantity);
      if (p) out.push({ meterId: m.id, point: p.name, type: p.type, scale: p.scale });
    }
  }
  for (const m of scenario.opcua?.meters ?? []) {
    if (m.line !== line || m.role !== 'lineTotal') continue;
    const p = opcuaPoints(m.type).find((x) => x.kind === 'counter' && x.quantity === quantity);
    if (p) out.push({ meterId: m.id, point: p.name, type: p.type, scale: p.scale });
  }
  return out;
}

/** The ground truth's discontinuities on the registers the aggregator counts for the lines' totals. */
function lineDiscontinuities(scenario: Scenario, lines: readonly string[], truth: TruthSnapshot): LineDiscontinuity[] {
  const out: LineDiscontinuity[] = [];
  for (const line of lines) {
    for (const quantity of QUANTITIES) {
      for (const r of lineRegisters(scenario, line, quantity)) {
        for (const d of truth.discontinuities) {
          if (d.meterId === r.meterId && d.point === r.point)
            out.push({ line, quantity, meterId: d.meterId, kind: d.kind, atMs: d.atMs, unmeasured: d.unmeasured });
        }
      }
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

function registerStep(r: CounterRegister, value: number): number {
  if (r.type === 'float32') return Math.abs(value) * 2 ** -24 * 2;
  if (r.type === 'float64') return Math.abs(value) * 2 ** -53 * 2;
  return r.scale;
}

export async function fetchTruth(controlUrl: string, ts: number): Promise<TruthSnapshot> {
  const res = await fetch(`${controlUrl}/truth?ts=${ts}`);
  if (!res.ok)
    throw new Error(`simulator truth at ${new Date(ts).toISOString()}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as TruthSnapshot;
}

export interface CollectOptions {
  scenario: Scenario;
  site: string;
  lines: string[];
  controlUrl: string;
  store: GatewayStore;
  repo: CloudSinkRepository;
  fromMs: number;
  toMs: number;
  pollIntervalSimMs: number;
  stampAllowanceSimMs: number;
}

const MIN = 60_000;

export async function collectInput(o: CollectOptions): Promise<ReconcileInput> {
  const truth = new Map<number, TruthSnapshot>();
  for (let t = o.fromMs - MIN; t <= o.toMs + MIN; t += MIN) truth.set(t, await fetchTruth(o.controlUrl, t));
  const snap = (t: number): TruthSnapshot => {
    const s = truth.get(t);
    if (!s) throw new Error(`no truth fetched at ${new Date(t).toISOString()}`);
    return s;
  };
  const truthAt = (t: number, line: string): Record<EnergyQuantity, number> => {
    const l = snap(t).lines[line];
    if (!l) throw new Error(`the simulator's truth has no line '${line}'`);
    return { electricityKWh: l.electricityKWh, gasM3: l.gasM3 };
  };
  const edgeTolerance = (line: string, q: EnergyQuantity, edge: number): number => {
    const before = (truthAt(edge, line)[q] - truthAt(edge - MIN, line)[q]) / MIN;
    const after = (truthAt(edge + MIN, line)[q] - truthAt(edge, line)[q]) / MIN;
    const meters = snap(edge).meters;
    const resolution = lineRegisters(o.scenario, line, q).reduce(
      (s, r) => s + registerStep(r, meters[r.meterId]?.points[r.point] ?? 0),
      0,
    );
    return (
      resolution + Math.max(before, after) * o.stampAllowanceSimMs + Math.abs(after - before) * o.pollIntervalSimMs
    );
  };

  const gateway: RollupRef[] = [];
  const flags = new Map<string, { revision: number; flags: string[] }>();
  for (const s of o.store.listRollups({})) {
    const r = s.rollup;
    gateway.push({
      id: r.id,
      revision: r.revision,
      type: r.type,
      line: 'line' in r ? r.line : null,
      windowStartMs: s.windowStartMs,
      windowMs: r.windowMs,
    });
    flags.set(r.id, { revision: r.revision, flags: r.flags });
  }
  const cloud: RollupRef[] = [];
  const seen = new Set<string>();
  const far = { fromMs: 0, toMs: 8.64e15 };
  for (const type of ['line', 'site'] as const) {
    for (const r of await o.repo.queryRollups({ type, site: o.site, ...far })) {
      cloud.push({
        id: r.id,
        revision: r.revision,
        type: r.type,
        line: r.line,
        windowStartMs: r.windowStartMs,
        windowMs: r.windowMs,
      });
      seen.add(r.id);
    }
  }
  const others = gateway.filter((g) => !seen.has(g.id)).map((g) => g.id);
  for (let i = 0; i < others.length; i += 500) {
    for (const r of await o.repo.getRollups(others.slice(i, i + 500))) {
      cloud.push({
        id: r.id,
        revision: r.revision,
        type: r.type,
        line: r.line,
        windowStartMs: r.windowStartMs,
        windowMs: r.windowMs,
      });
    }
  }
  const cloudLines: CloudLineWindow[] = [];
  for (const line of o.lines) {
    for (const r of await o.repo.queryRollups({ type: 'line', site: o.site, line, fromMs: o.fromMs, toMs: o.toMs })) {
      if (r.windowMs !== MIN || r.windowStartMs < o.fromMs || r.windowStartMs >= o.toMs) continue;
      const g = flags.get(r.id);
      cloudLines.push({
        id: r.id,
        revision: r.revision,
        line,
        windowStartMs: r.windowStartMs,
        windowMs: r.windowMs,
        electricityKWh: microToNumber(r.electricityMicroKWh),
        gasM3: microToNumber(r.gasMicroM3),
        coverage: r.coverage,
        estimated: r.estimated,
        // The gateway's copy carries the flags; a revision the gateway does not hold is marked as such.
        flags:
          g === undefined ? ['notInGateway'] : g.revision === r.revision ? g.flags : [...g.flags, 'revisionMismatch'],
      });
    }
  }
  return {
    lines: o.lines,
    fromMs: o.fromMs,
    toMs: o.toMs,
    windowMs: MIN,
    truthAt,
    cloudLines,
    gateway,
    cloud,
    discontinuities: lineDiscontinuities(
      o.scenario,
      o.lines,
      truth.get(o.toMs + MIN) ?? (await fetchTruth(o.controlUrl, o.toMs + MIN)),
    ),
    edgeTolerance,
    windowTolerance: (line, q, w) => edgeTolerance(line, q, w) + edgeTolerance(line, q, w + MIN),
  };
}
