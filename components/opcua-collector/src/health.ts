import type { Quality } from '@pcf-edge/core';
import type { MeterHealth, MeterState } from '@pcf-edge/store';

/**
 * Per-meter health from the quality of each point's latest reading.
 * state: `unknown` before any reading; `ok` when every point's latest reading is good; `failing` when every point
 * that reported is bad; `degraded` otherwise. consecutiveFailures is the longest current run of non-good readings
 * over the meter's points (a connection loss counts once per point). Only changed rows are returned by `drain`.
 */
export interface HealthTracker {
  record(meterId: string, point: string, quality: Quality, reason: string | undefined, ts: number): void;
  /** Rows changed since the last drain, stamped `updatedTs`. */
  drain(updatedTs: number): MeterHealth[];
  /** Every meter's row (for the final write and for tests). */
  snapshot(updatedTs: number): MeterHealth[];
}

interface PointState {
  quality: Quality;
  run: number;
}

interface MeterEntry {
  meterId: string;
  site: string;
  line: string;
  pointCount: number;
  points: Map<string, PointState>;
  lastGoodTs: number | null;
  lastReadTs: number | null;
  lastError: string | null;
  dirty: boolean;
}

export function createHealthTracker(
  site: string,
  collector: string,
  meters: readonly { id: string; line: string; points: readonly unknown[] }[],
): HealthTracker {
  const entries = new Map<string, MeterEntry>();
  for (const m of meters) {
    entries.set(m.id, {
      meterId: m.id,
      site,
      line: m.line,
      pointCount: m.points.length,
      points: new Map(),
      lastGoodTs: null,
      lastReadTs: null,
      lastError: null,
      dirty: true,
    });
  }

  function stateOf(e: MeterEntry): MeterState {
    if (e.points.size === 0) return 'unknown';
    const qs = [...e.points.values()].map((p) => p.quality);
    if (qs.length === e.pointCount && qs.every((q) => q === 'good')) return 'ok';
    if (qs.every((q) => q === 'bad')) return 'failing';
    return 'degraded';
  }

  function row(e: MeterEntry, updatedTs: number): MeterHealth {
    const runs = [...e.points.values()].map((p) => p.run);
    return {
      meterId: e.meterId,
      site: e.site,
      line: e.line,
      collector,
      state: stateOf(e),
      lastGoodTs: e.lastGoodTs,
      lastReadTs: e.lastReadTs,
      consecutiveFailures: Math.max(0, ...runs),
      lastError: e.lastError,
      updatedTs,
    };
  }

  return {
    record(meterId, point, quality, reason, ts) {
      const e = entries.get(meterId);
      if (!e) return;
      const prev = e.points.get(point);
      e.points.set(point, { quality, run: quality === 'good' ? 0 : (prev?.run ?? 0) + 1 });
      e.lastReadTs = ts;
      if (quality === 'good') e.lastGoodTs = ts;
      else e.lastError = `${point}: ${reason ?? quality}`;
      e.dirty = true;
    },
    drain(updatedTs) {
      const rows: MeterHealth[] = [];
      for (const e of entries.values()) {
        if (!e.dirty) continue;
        e.dirty = false;
        rows.push(row(e, updatedTs));
      }
      return rows;
    },
    snapshot(updatedTs) {
      return [...entries.values()].map((e) => row(e, updatedTs));
    },
  };
}
