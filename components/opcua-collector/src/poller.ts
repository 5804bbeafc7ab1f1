import { AttributeIds, type ClientSession, type DataValue, type NodeId } from 'node-opcua-client';

/**
 * Fixed-rate polling with the Read service: tick k fires at start + k × intervalMs (no drift from read duration).
 * A tick that finds the previous read still running, or that fires late past the next slot, is skipped and counted
 * as an overrun. Nodes are read in chunks of `maxNodesPerRead`. A read that throws is a session problem: `onError`
 * is called and polling stops (the endpoint rebuilds the session).
 */
export interface PollItem {
  nodeId: NodeId;
  /** Called with the item's DataValue and the time the response arrived. */
  deliver(dv: DataValue): void;
}

export interface Poller {
  stop(): void;
  readonly overruns: number;
  readonly reads: number;
}

export function startPoller(
  session: ClientSession,
  intervalMs: number,
  items: readonly PollItem[],
  maxNodesPerRead: number,
  onError: (err: Error) => void,
): Poller {
  const start = Date.now();
  let k = 0;
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let stopped = false;
  let overruns = 0;
  let reads = 0;

  async function readAll(): Promise<void> {
    for (let i = 0; i < items.length && !stopped; i += maxNodesPerRead) {
      const chunk = items.slice(i, i + maxNodesPerRead);
      const values: DataValue[] = await session.read(
        chunk.map((it) => ({ nodeId: it.nodeId, attributeId: AttributeIds.Value })),
        0,
      );
      if (stopped) return;
      reads++;
      chunk.forEach((it, j) => {
        const dv = values[j];
        if (dv) it.deliver(dv);
      });
    }
  }

  function schedule(): void {
    if (stopped) return;
    k++;
    const now = Date.now();
    const due = Math.floor((now - start) / intervalMs) + 1;
    if (due > k) {
      overruns += due - k;
      k = due;
    }
    timer = setTimeout(tick, start + k * intervalMs - now);
  }

  function tick(): void {
    if (stopped) return;
    if (busy) {
      overruns++;
      schedule();
      return;
    }
    busy = true;
    readAll().then(
      () => {
        busy = false;
      },
      (err: unknown) => {
        busy = false;
        if (!stopped) {
          stopped = true;
          onError(err instanceof Error ? err : new Error(String(err)));
        }
      },
    );
    schedule();
  }

  timer = setTimeout(tick, 0);
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
    get overruns() {
      return overruns;
    },
    get reads() {
      return reads;
    },
  };
}
