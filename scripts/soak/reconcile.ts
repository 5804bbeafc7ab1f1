/**
 * End-of-run reconciliation of a soak: pure functions of what the gateway store, the cloud-sink repository and the
 * simulator's ground truth hold, so a test can feed it a missing rollup, a duplicate or a wrong window and watch
 * it fail.
 *
 * Energy, per line and quantity, over the 1-minute windows [fromMs, toMs):
 * - a window is clean when its cloud rollup exists, covers the whole window (coverage 1), is not estimated and has
 *   no flag other than `late` (revised after it closed) or `rollover` (undone by the modulus); a clean window must equal the truth within `windowTolerance` (register resolution and the reading
 *   time stamps at its two edges) — otherwise it is an unexplained window;
 * - over the whole span counters telescope: gaps spread, bad readings, rollovers and late revisions move energy
 *   between windows but never create or lose it. So |Σ cloud − Σ truth| must stay within the tolerance of the two
 *   outer edges plus, for each window flagged reset, replacement or quarantine (where a meter's energy since its
 *   last good reading is unknowable or held back), the larger of that window's truth and cloud value. What
 *   remains is the unexplained difference, which must be 0.
 * Rollups: every gateway rollup must be at the cloud with the same revision (lost otherwise), and no two cloud
 * line or site rollups may share a window key (a duplicate the upsert by id did not absorb), nor two rows an id.
 */
export const QUANTITIES = ['electricityKWh', 'gasM3'] as const;
export type EnergyQuantity = (typeof QUANTITIES)[number];
export const LOSSY_FLAGS = ['reset', 'replacement', 'quarantine'] as const;
/** Flags that do not make a window an estimate: revised after it closed (`late`), a wrap the modulus undoes. */
export const EXACT_FLAGS = ['late', 'rollover'] as const;

export interface CloudLineWindow {
  id: string;
  revision: number;
  line: string;
  windowStartMs: number;
  windowMs: number;
  electricityKWh: number | null;
  gasM3: number | null;
  coverage: number;
  estimated: boolean;
  /** From the gateway's copy of the same rollup (the cloud's query columns do not carry flags). */
  flags: string[];
}

export interface RollupRef {
  id: string;
  revision: number;
  type: string;
  line: string | null;
  windowStartMs: number;
  windowMs: number;
}

export interface ReconcileInput {
  lines: string[];
  fromMs: number;
  toMs: number;
  windowMs: number;
  /** Truth totals since the scenario start at every window edge in [fromMs, toMs], per line. */
  truthAt(edgeMs: number, line: string): Record<EnergyQuantity, number>;
  /** 1-minute line rollups at the cloud overlapping the span. */
  cloudLines: CloudLineWindow[];
  /** Every rollup in the gateway store. */
  gateway: RollupRef[];
  /** Every rollup at the cloud (id, revision and window key). */
  cloud: RollupRef[];
  windowTolerance(line: string, q: EnergyQuantity, windowStartMs: number): number;
  edgeTolerance(line: string, q: EnergyQuantity, edgeMs: number): number;
  /**
   * Register discontinuities the simulator's ground truth recorded on the line's lineTotal registers (see
   * LineDiscontinuity): jumps no meter measured that the aggregator rightly books (flagged quarantine or reset). A
   * flagged window from a discontinuity's window to PRESET_WINDOWS after it may exceed the implausible-value bound
   * by up to the sum of those jumps' unmeasured consumption (counted as presetWindows); nowhere else, and no more.
   */
  discontinuities?: LineDiscontinuity[];
}

/**
 * A counter event the simulator applied to a lineTotal register of `line` (a rollover presetting it just below its
 * modulus, a replacement meter's start value, a reset), whoever triggered it: simulated ms, and the consumption the
 * jump represents that no meter measured (canonical unit of `quantity`; 0 for a reset).
 */
export interface LineDiscontinuity {
  line: string;
  quantity: EnergyQuantity;
  meterId: string;
  kind: string;
  atMs: number;
  unmeasured: number;
}

export interface WindowMismatch {
  windowStartMs: number;
  cloud: number;
  truth: number;
  diff: number;
  tolerance: number;
}

export interface LineEnergy {
  line: string;
  quantity: EnergyQuantity;
  cloud: number;
  truth: number;
  diff: number;
  windows: number;
  clean: number;
  flagged: number;
  missing: number;
  edgeTolerance: number;
  lossAllowance: number;
  /** max(0, |diff| − edge tolerance − loss allowance). */
  unexplained: number;
  unexplainedWindows: WindowMismatch[];
  /** Largest |cloud − truth| among clean windows (information). */
  maxCleanDiff: number;
  /**
   * Flagged windows holding more than IMPLAUSIBLE_FACTOR × the line's busiest true minute of the span, and their
   * excess: values no meter of the line can have measured (e.g. garbage a quarantine accepted). A bound: a flag
   * explains a difference, not a value no meter measured (see ADR 0110).
   */
  implausibleWindows: number;
  implausibleExcess: number;
  /** Flagged windows above that limit by no more than the unmeasured jumps of register discontinuities next to them (not a failure). */
  presetWindows: number;
}

export const IMPLAUSIBLE_FACTOR = 10;
/** Windows after a register discontinuity's own window in which its confirmation may land (polls, late readings). */
export const PRESET_WINDOWS = 3;

export interface LostRollup {
  id: string;
  type: string;
  line: string | null;
  windowStartMs: number;
  gatewayRevision: number;
  cloudRevision: number | null;
}
export interface DuplicateWindow {
  key: string;
  ids: string[];
}

export interface Reconciliation {
  energy: LineEnergy[];
  lost: LostRollup[];
  duplicates: DuplicateWindow[];
  failures: string[];
}

/** Relative float tolerance added to every comparison (sums of doubles). */
const FLOAT_EPS = 1e-9;

export function reconcile(input: ReconcileInput): Reconciliation {
  const energy: LineEnergy[] = [];
  for (const line of input.lines) for (const q of QUANTITIES) energy.push(lineEnergy(input, line, q));
  const lost = lostRollups(input.gateway, input.cloud);
  const duplicates = duplicateWindows(input.cloud);
  const failures: string[] = [];
  for (const e of energy) {
    if (e.unexplained > 0) {
      failures.push(
        `${e.line} ${e.quantity}: cloud ${e.cloud.toFixed(4)} vs truth ${e.truth.toFixed(4)} over the span, ${e.unexplained.toFixed(4)} unexplained (edge tolerance ${e.edgeTolerance.toFixed(4)}, loss allowance ${e.lossAllowance.toFixed(4)})`,
      );
    }
    if (e.implausibleWindows > 0) {
      failures.push(
        `${e.line} ${e.quantity}: ${e.implausibleWindows} flagged window(s) hold more than ${IMPLAUSIBLE_FACTOR}× the line's busiest true minute (${e.implausibleExcess.toPrecision(6)} above it): values no meter measured`,
      );
    }
    if (e.unexplainedWindows.length > 0) {
      const w = e.unexplainedWindows[0] as WindowMismatch;
      failures.push(
        `${e.line} ${e.quantity}: ${e.unexplainedWindows.length} clean window(s) differ from the truth beyond tolerance, first ${new Date(w.windowStartMs).toISOString()} cloud ${w.cloud.toFixed(4)} truth ${w.truth.toFixed(4)} (tolerance ${w.tolerance.toFixed(4)})`,
      );
    }
  }
  if (lost.length > 0)
    failures.push(
      `${lost.length} rollup(s) of the gateway store are not at the cloud at their revision, e.g. ${describe(lost[0] as LostRollup)}`,
    );
  if (duplicates.length > 0)
    failures.push(
      `${duplicates.length} window(s) held by more than one rollup at the cloud, e.g. ${(duplicates[0] as DuplicateWindow).key}`,
    );
  return { energy, lost, duplicates, failures };
}

function describe(l: LostRollup): string {
  return `${l.type} ${l.line ?? ''} ${new Date(l.windowStartMs).toISOString()} rev ${l.gatewayRevision} (cloud: ${l.cloudRevision ?? 'absent'})`;
}

function lineEnergy(input: ReconcileInput, line: string, q: EnergyQuantity): LineEnergy {
  const rows = new Map<number, CloudLineWindow>();
  for (const r of input.cloudLines) if (r.line === line && r.windowMs === input.windowMs) rows.set(r.windowStartMs, r);
  const out: LineEnergy = {
    line,
    quantity: q,
    cloud: 0,
    truth: 0,
    diff: 0,
    windows: 0,
    clean: 0,
    flagged: 0,
    missing: 0,
    edgeTolerance: input.edgeTolerance(line, q, input.fromMs) + input.edgeTolerance(line, q, input.toMs),
    lossAllowance: 0,
    unexplained: 0,
    unexplainedWindows: [],
    maxCleanDiff: 0,
    implausibleWindows: 0,
    implausibleExcess: 0,
    presetWindows: 0,
  };
  let busiest = 0;
  for (let w = input.fromMs; w < input.toMs; w += input.windowMs) {
    busiest = Math.max(busiest, Math.abs(input.truthAt(w + input.windowMs, line)[q] - input.truthAt(w, line)[q]));
  }
  const implausibleAbove = busiest * IMPLAUSIBLE_FACTOR;
  for (let w = input.fromMs; w < input.toMs; w += input.windowMs) {
    const truth = input.truthAt(w + input.windowMs, line)[q] - input.truthAt(w, line)[q];
    const row = rows.get(w);
    const cloud = row?.[q] ?? 0;
    out.windows++;
    out.cloud += cloud;
    out.truth += truth;
    if (!row) {
      out.missing++;
      continue;
    }
    const clean =
      row.coverage >= 1 && !row.estimated && row.flags.every((f) => (EXACT_FLAGS as readonly string[]).includes(f));
    if (!clean) {
      out.flagged++;
      const unmeasured = unmeasuredNear(input, line, q, w);
      if (Math.abs(cloud) > implausibleAbove + unmeasured) {
        out.implausibleWindows++;
        out.implausibleExcess += Math.abs(cloud) - implausibleAbove - unmeasured;
      } else if (Math.abs(cloud) > implausibleAbove) out.presetWindows++;
      if (row.flags.some((f) => (LOSSY_FLAGS as readonly string[]).includes(f)))
        out.lossAllowance += Math.max(Math.abs(truth), Math.abs(cloud));
      continue;
    }
    out.clean++;
    const diff = cloud - truth;
    out.maxCleanDiff = Math.max(out.maxCleanDiff, Math.abs(diff));
    const tolerance = input.windowTolerance(line, q, w) + Math.abs(truth) * FLOAT_EPS;
    if (Math.abs(diff) > tolerance) out.unexplainedWindows.push({ windowStartMs: w, cloud, truth, diff, tolerance });
  }
  out.diff = out.cloud - out.truth;
  const allowed = out.edgeTolerance + out.lossAllowance + Math.abs(out.truth) * FLOAT_EPS;
  out.unexplained = Math.max(0, Math.abs(out.diff) - allowed);
  return out;
}

/** Unmeasured consumption of the line's discontinuities of `q` from PRESET_WINDOWS before window w to its end. */
function unmeasuredNear(input: ReconcileInput, line: string, q: EnergyQuantity, w: number): number {
  let sum = 0;
  for (const d of input.discontinuities ?? []) {
    if (
      d.line === line &&
      d.quantity === q &&
      w + input.windowMs > d.atMs &&
      w <= d.atMs + PRESET_WINDOWS * input.windowMs
    )
      sum += d.unmeasured;
  }
  return sum;
}

export function lostRollups(gateway: readonly RollupRef[], cloud: readonly RollupRef[]): LostRollup[] {
  const atCloud = new Map(cloud.map((r) => [r.id, r.revision]));
  const lost: LostRollup[] = [];
  for (const g of gateway) {
    const rev = atCloud.get(g.id);
    if (rev !== g.revision)
      lost.push({
        id: g.id,
        type: g.type,
        line: g.line,
        windowStartMs: g.windowStartMs,
        gatewayRevision: g.revision,
        cloudRevision: rev ?? null,
      });
  }
  return lost;
}

export function duplicateWindows(cloud: readonly RollupRef[]): DuplicateWindow[] {
  const byKey = new Map<string, string[]>();
  const ids = new Map<string, number>();
  for (const r of cloud) {
    ids.set(r.id, (ids.get(r.id) ?? 0) + 1);
    if (r.type !== 'line' && r.type !== 'site') continue; // meter rollups' keys hold meter and point, not stored as columns
    const key = `${r.type}/${r.line ?? ''}/${r.windowMs}/${new Date(r.windowStartMs).toISOString()}`;
    const list = byKey.get(key) ?? [];
    if (!list.includes(r.id)) byKey.set(key, [...list, r.id]);
  }
  const out: DuplicateWindow[] = [];
  for (const [key, list] of byKey) if (list.length > 1) out.push({ key, ids: list });
  for (const [id, n] of ids) if (n > 1) out.push({ key: `id ${id}`, ids: Array(n).fill(id) as string[] });
  return out;
}
