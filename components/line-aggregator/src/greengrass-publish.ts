import type { LineRollup, Logger, Rollup } from '@pcf-edge/core';
import type { AggregatorStore } from './aggregator';

/** Publishes one per-line rollup to the local pub/sub topic; failures are the caller's to log. */
export type PublishLineRollup = (rollup: LineRollup) => Promise<void>;

/**
 * Wraps the aggregator's store so that per-line rollups are published after the transaction that wrote them
 * committed (a rolled-back batch publishes nothing). Publishing is best effort and never blocks aggregation:
 * the outbox, not pub/sub, is the delivery path. A window revised later is published again with its revision.
 */
export function publishingStore<S extends AggregatorStore>(store: S, publish: PublishLineRollup, log: Logger): S {
  let depth = 0;
  let pending: LineRollup[] = [];
  const flush = (): void => {
    const batch = pending;
    pending = [];
    for (const rollup of batch) {
      publish(rollup).catch((err: unknown) =>
        log.warn({ err, line: rollup.line, windowStart: rollup.windowStart }, 'line rollup not published'),
      );
    }
  };
  const wrapper: AggregatorStore = {
    ...bindAll(store),
    transaction<T>(fn: () => T): T {
      depth += 1;
      let result: T;
      try {
        result = store.transaction(fn);
      } catch (err) {
        depth -= 1;
        if (depth === 0) pending = [];
        throw err;
      }
      depth -= 1;
      if (depth === 0) flush();
      return result;
    },
    putRollups(list: Rollup[], nowTs: number): void {
      store.putRollups(list, nowTs);
      for (const r of list) if (r.type === 'line') pending.push(r);
      if (depth === 0) flush();
    },
  };
  return wrapper as S;
}

function bindAll<S extends AggregatorStore>(store: S): AggregatorStore {
  const keys: (keyof AggregatorStore)[] = [
    'readingsAfter',
    'readingRowsAfter',
    'transaction',
    'getState',
    'setState',
    'getAnchors',
    'putAnchors',
    'addCounterEvents',
    'getRollup',
    'putRollups',
    'enqueueOutbox',
    'prune',
    'publishSiteClaims',
    'siteModel',
    'siteModelGeneration',
  ];
  const out: Partial<Record<keyof AggregatorStore, unknown>> = {};
  for (const k of keys) out[k] = (store[k] as (...a: unknown[]) => unknown).bind(store);
  return out as AggregatorStore;
}
