import { readFileSync } from 'node:fs';
import type { CloudSinkRepository } from '@pcf-edge/cloud-sink';
import { newestWindowEnd } from '../stack/summary';
import type { SoakStack } from './stack';

/**
 * Samples, every `intervalMs` while the soak runs: the resident memory of every process (VmRSS from
 * /proc/<pid>/status, kept as the peak per process name across restarts) and the export lag (simulated now minus
 * the end of the newest 1-minute line window at the cloud).
 */
export interface Samples {
  peakRssMiB: Record<string, number>;
  maxLagSimMs: number | null;
  lagSamples: number;
}

export function vmRssKiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // exited between listing and reading, or no /proc
  }
}

export function startSampler(
  stack: SoakStack,
  repo: CloudSinkRepository,
  intervalMs: number,
): { stop(): Promise<Samples> } {
  const samples: Samples = { peakRssMiB: {}, maxLagSimMs: null, lagSamples: 0 };
  let stopped = false;
  const sampleRss = (): void => {
    for (const name of stack.names) {
      const pid = stack.current(name)?.child.pid;
      const kib = pid === undefined ? null : vmRssKiB(pid);
      if (kib !== null) samples.peakRssMiB[name] = Math.max(samples.peakRssMiB[name] ?? 0, kib / 1024);
    }
  };
  const sampleLag = async (): Promise<void> => {
    const now = stack.timeline.clock.now();
    const newest = await newestWindowEnd(repo, stack.site, stack.lines, now - 6 * 3_600_000, now + 60_000);
    if (newest === null) return;
    // Lag counts from the first window at the cloud on: before that the stack is still starting.
    const lag = Math.max(0, now - newest);
    samples.maxLagSimMs = Math.max(samples.maxLagSimMs ?? 0, lag);
    samples.lagSamples++;
  };
  const loop = (async () => {
    while (!stopped) {
      sampleRss();
      await sampleLag().catch(() => undefined);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}
