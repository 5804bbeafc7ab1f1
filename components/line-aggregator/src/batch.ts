import type { Rollup } from '@pcf-edge/core';
import type { CounterEvent } from '@pcf-edge/store';

/** Where written rollups are looked up when late data revises them (the store, or a map in tests). */
export interface RollupSource {
  getRollup(id: string): Rollup | undefined;
}

/**
 * What one batch of readings produces before it is committed: rollups to upsert (the newest revision per id),
 * counter events. Reads fall through to the store, so a window written in an earlier batch and one written
 * earlier in this batch are revised the same way, and the outcome does not depend on batch boundaries.
 *
 * A window's revision rises by one per reading that changed it after it was written (`bump`).
 */
export class BatchOverlay {
  readonly writes = new Map<string, Rollup>();
  readonly events: CounterEvent[] = [];
  private readonly fetched = new Map<string, Rollup | null>();
  private bumped = new Set<string>();

  constructor(private readonly source: RollupSource) {}

  get(id: string): Rollup | undefined {
    const w = this.writes.get(id);
    if (w) return w;
    let f = this.fetched.get(id);
    if (f === undefined) this.fetched.set(id, (f = this.source.getRollup(id) ?? null));
    return f ?? undefined;
  }

  /** The revision to write for `id` when the current reading changes it. */
  nextRevision(id: string): number {
    const cur = this.get(id);
    if (!cur) return 1;
    if (this.bumped.has(id)) return cur.revision;
    this.bumped.add(id);
    return cur.revision + 1;
  }

  put(r: Rollup): void {
    this.writes.set(r.id, r);
  }

  beginReading(): void {
    if (this.bumped.size > 0) this.bumped = new Set();
  }
}
