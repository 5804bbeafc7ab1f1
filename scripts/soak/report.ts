import type { ChaosResult } from './chaos';
import { faultsByKind, type PlannedFault } from './plan';
import { IMPLAUSIBLE_FACTOR, type LineDiscontinuity, type Reconciliation } from './reconcile';

/** The end report of a soak run: what main.ts prints and writes as soak-report.json and soak-report.md. */
export interface SoakReport {
  seed: number;
  minutes: number;
  factor: number;
  startedAt: string;
  realSeconds: number;
  loadAverage: { start: number[]; end: number[] };
  span: { from: string; to: string; windows: number };
  plan: PlannedFault[];
  faultsInjected: Record<string, number>;
  faultErrors: string[];
  restartsSurvived: Record<string, number>;
  unexpectedExits: { name: string; code: number | null; atMs: number }[];
  drain: { seconds: number; complete: boolean; outboxDepth: number | null; unaggregatedReadings: number | null };
  maxExportLag: { simMinutes: number | null; realSeconds: number | null };
  peakRssMiB: Record<string, number>;
  /** Register discontinuities on the lines' registers, from the simulator's ground truth. */
  discontinuities: LineDiscontinuity[];
  reconciliation: Reconciliation;
  failures: string[];
  passed: boolean;
}

export function injectedByKind(chaos: ChaosResult): Record<string, number> {
  return faultsByKind(chaos.outcomes.filter((o) => o.error === null).map((o) => o.fault));
}

const f4 = (n: number): string => n.toFixed(4);

export function describeDiscontinuity(d: LineDiscontinuity): string {
  return `${d.line} ${d.quantity} ${d.kind} on ${d.meterId} at ${new Date(d.atMs).toISOString()}, ${d.unmeasured.toPrecision(6)} unmeasured`;
}

export function renderReport(r: SoakReport): string {
  const out: string[] = [];
  out.push(`# Soak report — seed ${r.seed}, ${r.minutes} min ×${r.factor} — ${r.passed ? 'PASSED' : 'FAILED'}`, '');
  out.push(
    `started ${r.startedAt}, ${r.realSeconds.toFixed(0)} s real; load average at start ${r.loadAverage.start.map((x) => x.toFixed(2)).join(' ')}, at end ${r.loadAverage.end.map((x) => x.toFixed(2)).join(' ')}`,
  );
  out.push(`reconciled span ${r.span.from} → ${r.span.to} (${r.span.windows} one-minute windows)`, '');
  out.push('## Energy per line at the cloud vs the simulator truth', '');
  out.push(
    '| line | quantity | cloud | truth | diff | clean / flagged / missing windows | edge tol. | loss allowance | unexplained | max clean-window diff | unexplained windows |',
  );
  out.push('|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|');
  for (const e of r.reconciliation.energy) {
    out.push(
      `| ${e.line} | ${e.quantity} | ${f4(e.cloud)} | ${f4(e.truth)} | ${f4(e.diff)} | ${e.clean} / ${e.flagged} / ${e.missing} | ${f4(e.edgeTolerance)} | ${f4(e.lossAllowance)} | ${f4(e.unexplained)} | ${f4(e.maxCleanDiff)} | ${e.unexplainedWindows.length} |`,
    );
  }
  const implausible = r.reconciliation.energy.filter((e) => e.implausibleWindows > 0);
  if (implausible.length > 0) {
    out.push(
      '',
      `Flagged windows holding implausible values (over ${IMPLAUSIBLE_FACTOR}× the busiest true minute; flagged, but no meter measured them — a failed bound):`,
    );
    for (const e of implausible)
      out.push(
        `- ${e.line} ${e.quantity}: ${e.implausibleWindows} window(s), ${e.implausibleExcess.toPrecision(6)} above the plausible maximum`,
      );
  }
  if (r.discontinuities.length > 0) {
    out.push(
      '',
      "Register discontinuities on the lines' registers in the simulator's ground truth (counter events, whoever triggered them):",
    );
    for (const d of r.discontinuities) out.push(`- ${describeDiscontinuity(d)}`);
  }
  const presets = r.reconciliation.energy.filter((e) => e.presetWindows > 0);
  if (presets.length > 0) {
    out.push(
      '',
      "Flagged jumps within the unmeasured consumption of a register discontinuity next to them (a register preset just below its modulus, or a replacement meter's start value: booked as docs/method/consumption.md says; not a failure):",
    );
    for (const e of presets) out.push(`- ${e.line} ${e.quantity}: ${e.presetWindows} window(s)`);
  }
  out.push('', '## Rollups', '');
  out.push(
    `- lost (in the gateway store, not at the cloud at the same revision after the drain): ${r.reconciliation.lost.length}`,
  );
  out.push(`- duplicated at the cloud after upsert: ${r.reconciliation.duplicates.length}`);
  out.push(
    `- drain: ${r.drain.complete ? 'complete' : 'INCOMPLETE'} after ${r.drain.seconds.toFixed(1)} s (outbox depth ${r.drain.outboxDepth ?? '?'}, readings not aggregated ${r.drain.unaggregatedReadings ?? '?'})`,
  );
  out.push(
    `- max export lag: ${r.maxExportLag.simMinutes === null ? 'n/a' : `${r.maxExportLag.simMinutes.toFixed(1)} simulated min (${(r.maxExportLag.realSeconds ?? 0).toFixed(1)} s real)`}`,
  );
  out.push('', '## Processes', '');
  out.push('| process | peak RSS MiB | restarts survived |', '|---|---:|---:|');
  for (const name of Object.keys(r.peakRssMiB).sort())
    out.push(`| ${name} | ${r.peakRssMiB[name]?.toFixed(0)} | ${r.restartsSurvived[name] ?? 0} |`);
  out.push(
    `- exits nobody asked for: ${r.unexpectedExits.length === 0 ? 'none' : r.unexpectedExits.map((e) => `${e.name} (code ${e.code}) at ${(e.atMs / 1000).toFixed(0)} s`).join(', ')}`,
  );
  out.push('', '## Faults injected by kind', '');
  for (const [k, n] of Object.entries(r.faultsInjected).sort()) out.push(`- ${k}: ${n}`);
  if (r.faultErrors.length > 0) out.push(`- not injected: ${r.faultErrors.join('; ')}`);
  out.push('', `## Result: ${r.passed ? 'every bound held' : 'FAILED'}`, '');
  for (const f of r.failures) out.push(`- ${f}`);
  return `${out.join('\n')}\n`;
}
