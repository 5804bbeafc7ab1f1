import { randomUUID } from 'node:crypto';
import { createGrantCache, footprintKeys, granted, type GrantCache } from '../api/visibility';
import type { CloudSinkRepository, QueuedDelivery, StoredFootprint } from '../store/repository';
import { openSecurityStore, type EventsEndpoint, type SecurityStore } from '../store/security-store';

export type PactVersion = 2 | 3;

/** CloudEvent `type`s per PACT version (v2.2–2.3 §8.8, v3.0 Action Events). */
export const EVENT_TYPE = {
  2: {
    published: 'org.wbcsd.pathfinder.ProductFootprint.Published.v1',
    created: 'org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1',
    fulfilled: 'org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1',
    rejected: 'org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1',
  },
  3: {
    published: 'org.wbcsd.pact.ProductFootprint.PublishedEvent.3',
    created: 'org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3',
    fulfilled: 'org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3',
    rejected: 'org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3',
  },
} as const;

/** Where a client's events of PACT version `v` are posted: `<base>/2/events` or `<base>/3/events`. */
export const eventsUrl = (ep: EventsEndpoint, v: PactVersion) => `${ep.baseUrl.replace(/\/+$/, '')}/${v}/events`;

/** A CloudEvent (JSON) from `source` (this host's public base URL) at `atMs`. */
export function cloudEvent(source: string, atMs: number, type: string, data: Record<string, unknown>) {
  return { type, specversion: '1.0', id: randomUUID(), source, time: new Date(atMs).toISOString(), data };
}
export type CloudEvent = ReturnType<typeof cloudEvent>;

/** The queue row that delivers `event` to `clientId` at its registered endpoint, due at once. */
export function deliveryOf(clientId: string, ep: EventsEndpoint, v: PactVersion, event: CloudEvent, atMs: number) {
  return {
    id: event.id,
    clientId,
    type: event.type,
    url: eventsUrl(ep, v),
    body: JSON.stringify(event),
    nextAttemptMs: atMs,
    createdAtMs: atMs,
  } satisfies QueuedDelivery;
}

/** New footprint versions → the Published events to queue for them, one per partner that may see any of them. */
export type Announce = (rows: readonly StoredFootprint[]) => Promise<QueuedDelivery[]>;

/**
 * The Published events announcing `rows`: one per client with an events endpoint, the `pact` scope and no disable
 * flag that is granted any of the footprints (ADR 0190), naming those footprint ids, in the PACT version of its
 * endpoint registration (v2 unless it is a v3 host). Reads only; the caller queues them (with the footprints, in one
 * transaction: `saveFootprintVersions`).
 */
export function publishedDeliveries(deps: {
  security: SecurityStore;
  grants: GrantCache;
  /** This host's public base URL: the events' `source`. */
  baseUrl: string;
  now: () => number;
}): Announce {
  return async (rows) => {
    if (rows.length === 0) return [];
    const out: QueuedDelivery[] = [];
    for (const client of await deps.security.listClients()) {
      if (!client.events || client.disabled || !client.scopes.includes('pact')) continue;
      const grants = await deps.grants.grantsFor(client.clientId);
      const ids = [...new Set(rows.filter((f) => granted(grants, footprintKeys(f))).map((f) => f.id))];
      if (ids.length === 0) continue;
      const v: PactVersion = client.events.version ?? 2;
      const at = deps.now();
      out.push(
        deliveryOf(
          client.clientId,
          client.events,
          v,
          cloudEvent(deps.baseUrl, at, EVENT_TYPE[v].published, { pfIds: ids }),
          at,
        ),
      );
    }
    return out;
  };
}

/**
 * `publishedDeliveries` over a repository's own security store, for processes without an API server (the CLI, the
 * recompute Lambda): their events wait in the queue until a serving process's delivery loop sends them.
 */
export function publishedAnnouncer(repo: CloudSinkRepository, opts: { baseUrl: string; now?: () => number }): Announce {
  const now = opts.now ?? Date.now;
  const security = openSecurityStore(repo, now);
  return publishedDeliveries({ security, grants: createGrantCache(security, now), baseUrl: opts.baseUrl, now });
}
