import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Per-process CPU from /proc (Linux): user + system time of a process, and the machine's busy time, both in
 * seconds. A process's share of a phase is its CPU seconds over the phase's wall seconds, in cores (1.0 = one core
 * fully busy): a single-threaded Node process near 1.0 is the bound; so is the machine when the busy cores approach
 * the core count (the machine is shared, so others' load is reported beside ours).
 */
const TICKS_PER_SEC = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
export const CORES = cpus().length;

/** The parent and the CPU seconds (user + system) of `pid`, or undefined once it has exited. */
export function processStat(pid: number): { ppid: number; cpuSec: number; reapedCpuSec: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // fields after "(comm)": state is field 3, ppid field 4; utime and stime are fields 14 and 15, and the CPU of
  // children that exited and were waited for (cutime, cstime) fields 16 and 17
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(f[1]),
    cpuSec: (Number(f[11]) + Number(f[12])) / TICKS_PER_SEC,
    reapedCpuSec: (Number(f[13]) + Number(f[14])) / TICKS_PER_SEC,
  };
}

/**
 * CPU seconds a server and its child processes used so far: its own, its live children's and its exited children's
 * (e.g. a PostgreSQL postmaster: the backends of connections already closed are in its reaped share). The difference
 * of two readings is the server's CPU between them; undefined when `pid` cannot be read.
 */
export function serverTreeCpuSec(pid: number): number | undefined {
  const own = processStat(pid);
  if (!own) return undefined;
  let sec = own.cpuSec + own.reapedCpuSec;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    const s = processStat(Number(entry));
    if (s && s.ppid === pid) sec += s.cpuSec;
  }
  return sec;
}

/** CPU seconds (user + system) of `pid`, or undefined once it has exited. */
export function processCpuSec(pid: number): number | undefined {
  return processStat(pid)?.cpuSec;
}

/** Busy CPU seconds of the whole machine (all cores: everything but idle and iowait). */
export function machineBusySec(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SEC;
}

export interface CpuReport {
  wallSec: number;
  /** Per group: CPU seconds, cores (CPU seconds / wall seconds) and processes that used any CPU. */
  groups: { name: string; cpuSec: number; cores: number; processes: number }[];
  /** Busy cores of the whole machine over the phase (everyone's). */
  machineCores: number;
}

/**
 * Accumulates the CPU of named groups of processes over a phase. Pids may come and go (a database backend per pooled
 * connection): a pid first seen after `start` counts from zero, a pid that exits keeps its last sampled time, so
 * `sample` should be called every few hundred ms while the phase runs.
 */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly group = new Map<number, string>();
  private t0 = 0;
  private busy0 = 0;
  private wallSec = 0;
  private busySec = 0;

  start(pids: Map<number, string>): void {
    this.t0 = performance.now();
    this.busy0 = machineBusySec();
    for (const [pid, name] of pids) {
      const cpu = processCpuSec(pid);
      if (cpu === undefined) continue;
      this.first.set(pid, cpu);
      this.last.set(pid, cpu);
      this.group.set(pid, name);
    }
  }

  sample(pids: Map<number, string>): void {
    for (const [pid, name] of pids) {
      const cpu = processCpuSec(pid);
      if (cpu === undefined) continue;
      if (!this.first.has(pid)) this.first.set(pid, 0);
      this.last.set(pid, cpu);
      this.group.set(pid, name);
    }
  }

  stop(pids: Map<number, string>): void {
    this.sample(pids);
    this.wallSec = (performance.now() - this.t0) / 1000;
    this.busySec = machineBusySec() - this.busy0;
  }

  /** Cores used per group over the phase, highest first, and the machine's busy cores (ours and everyone's). */
  report(): CpuReport {
    const sums = new Map<string, { cpuSec: number; processes: number }>();
    for (const [pid, name] of this.group) {
      const s = sums.get(name) ?? { cpuSec: 0, processes: 0 };
      const used = this.last.get(pid)! - this.first.get(pid)!;
      s.cpuSec += used;
      if (used > 0) s.processes++;
      sums.set(name, s);
    }
    const wall = Math.max(this.wallSec, 1e-3);
    const groups = [...sums].map(([name, s]) => ({ name, ...s, cores: s.cpuSec / wall }));
    groups.sort((a, b) => b.cores - a.cores);
    return { wallSec: this.wallSec, groups, machineCores: this.busySec / wall };
  }
}

/**
 * The process whose CPU bounds a phase: a group at ≥ 0.85 cores per process is saturated (Node runs JavaScript on one
 * thread); else, when the machine's busy cores reach 90 % of its cores, the machine is (others' load included);
 * else nothing was CPU-bound (waiting on I/O, polling or round trips).
 */
export function boundOf(r: CpuReport): string {
  const per = (g: CpuReport['groups'][number]) => g.cores / Math.max(1, g.processes);
  const top = [...r.groups].sort((a, b) => per(b) - per(a))[0];
  const busiest = top ? `${top.name} ${pct(per(top))} of a core per process` : 'none';
  const ours = r.groups.reduce((s, g) => s + g.cores, 0);
  if (top && per(top) >= 0.85) return `${top.name} (${pct(per(top))} of a core per process)`;
  if (r.machineCores >= 0.9 * CORES)
    return `the machine's ${CORES} cores (${r.machineCores.toFixed(2)} busy: ours ${ours.toFixed(2)}, others ${Math.max(0, r.machineCores - ours).toFixed(2)}; busiest of ours ${busiest})`;
  return `no process CPU-bound (busiest ${busiest}; machine ${r.machineCores.toFixed(2)} of ${CORES} cores busy)`;
}

/** `name 0.93 (2 proc)` per group, highest first. */
export function cpuLine(r: CpuReport): string {
  return r.groups
    .map((g) => `${g.name} ${g.cores.toFixed(2)}${g.processes > 1 ? ` (${g.processes} proc)` : ''}`)
    .join(', ');
}

const pct = (cores: number) => `${Math.round(cores * 100)} %`;
