import type { PendingOutboxOptions } from '@pcf-edge/store';
import type { StreamExporterConfig } from './config';

/** Where the picker reads unsent outbox rows: the store itself, or the exporter's reader with bodies (bodies.ts). */
export interface PendingSource<R extends { seq: number }> {
  pendingOutbox(limit: number, opts?: PendingOutboxOptions): R[];
}

/**
 * Chooses the outbox rows of the next message: oldest unsent rows first (the backlog drains in order). While more
 * than one message's worth is waiting, every other pick is a "live" pick instead: the newest rows enqueued since
 * the previous live pick, so live views stay current while history drains. The first live pick takes the newest
 * `maxRollupsPerMessage` rows. Rows already in flight are never picked twice.
 */
export class RowPicker<R extends { seq: number }> {
  private liveAfterSeq: number | undefined;
  private liveTurn = true;

  constructor(
    private readonly store: PendingSource<R>,
    private readonly config: Pick<StreamExporterConfig, 'maxRollupsPerMessage'>,
  ) {}

  /**
   * After an outage: the next pick with a backlog is a live pick of the newest rows (whatever live picks were
   * made before the failure), so the newest windows are the first to go once the destination is back.
   */
  restart(): void {
    this.liveAfterSeq = undefined;
    this.liveTurn = false;
  }

  /** `backlogAfterSeq`: the highest seq of backlog rows in flight (0 when none). */
  next(inFlight: ReadonlySet<number>, backlogAfterSeq: number): { rows: R[]; live: boolean } {
    const per = this.config.maxRollupsPerMessage;
    const oldest = this.store.pendingOutbox(per + 1, { afterSeq: backlogAfterSeq }).filter((r) => !inFlight.has(r.seq));
    if (oldest.length > per) {
      this.liveTurn = !this.liveTurn;
      if (this.liveTurn) {
        const live = this.store
          .pendingOutbox(per, { newestFirst: true, afterSeq: this.liveAfterSeq ?? 0 })
          .filter((r) => !inFlight.has(r.seq) && r.seq > oldest[per]!.seq);
        if (live.length > 0) {
          this.liveAfterSeq = live[0]!.seq;
          return { rows: live.reverse(), live: true };
        }
      }
    }
    return { rows: oldest.slice(0, per), live: false };
  }
}
