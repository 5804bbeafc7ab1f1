/**
 * CPU and memory of another process, read from Linux's /proc (proc(5)), for benchmarks that measure a child the way
 * it runs in production rather than the bench process itself.
 *
 * CPU: utime + stime of /proc/<pid>/stat (all threads of the process: V8's GC and the libuv pool included;
 * scripts/bench/fleet-proc.ts), 10 ms resolution.
 * Memory: VmRSS (resident now) and VmHWM (peak resident since start) of /proc/<pid>/status, in bytes.
 */
import { readFileSync } from 'node:fs';
import { machineBusySec, processCpuSec } from './fleet-proc';

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const s = processCpuSec(pid);
  if (s === undefined) throw new Error(`process ${pid} has exited`);
  return s;
}

/** VmRSS and VmHWM of the process, in bytes. */
export function residentBytes(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${key}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

export interface UsageWindow {
  /** Wall-clock seconds of the window. */
  wallS: number;
  /** CPU seconds the process used in the window. */
  cpuS: number;
  /** Peak resident set since the process started (VmHWM at the end of the window), bytes. */
  peakRss: number;
  /** Median VmRSS over the second half of the window (steady state), bytes. */
  steadyRss: number;
  /** VmRSS when the window opened, bytes. */
  startRss: number;
  /** Busy cores of the whole machine over the window (everyone's work: the load the figures were taken under). */
  machineCores: number;
}

/**
 * Measures process `pid` from now until the returned `end()` is called: CPU seconds used in between, VmRSS sampled
 * every `sampleMs`, and the peak. Call `end()` before the process exits.
 */
export function watchProcess(pid: number, sampleMs = 250): { end(): UsageWindow } {
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  const busy0 = machineBusySec();
  const startRss = residentBytes(pid).rss;
  const samples: { t: number; rss: number }[] = [];
  const timer = setInterval(() => {
    try {
      samples.push({ t: performance.now(), rss: residentBytes(pid).rss });
    } catch {
      // the process is gone; end() reports what was sampled
    }
  }, sampleMs);
  return {
    end() {
      clearInterval(timer);
      const now = performance.now();
      const { rss, peak } = residentBytes(pid);
      samples.push({ t: now, rss });
      const half = t0 + (now - t0) / 2;
      const late = samples
        .filter((s) => s.t >= half)
        .map((s) => s.rss)
        .sort((a, b) => a - b);
      return {
        wallS: (now - t0) / 1000,
        cpuS: cpuSeconds(pid) - cpu0,
        peakRss: peak,
        steadyRss: late[Math.floor(late.length / 2)] ?? rss,
        startRss,
        machineCores: (machineBusySec() - busy0) / ((now - t0) / 1000),
      };
    },
  };
}
