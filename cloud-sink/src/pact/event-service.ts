import type { Logger } from '@pcf-edge/core';
import type { CloudSinkRepository, StoredFootprint } from '../store/repository';
import type { EventsEndpoint, SecurityStore } from '../store/security-store';
import { footprintKeys, granted, type GrantCache } from '../api/visibility';
import { HttpError } from '../api/errors';
import type { EventDeliveryWorker } from './event-delivery';
import {
  cloudEvent as newCloudEvent,
  deliveryOf,
  EVENT_TYPE,
  publishedDeliveries,
  type CloudEvent,
  type PactVersion,
} from './published-events';

export { EVENT_TYPE, type PactVersion };

/** What a data recipient asked for in a request event, as a predicate over the footprints it may see. */
export type RequestMatcher = (f: StoredFootprint) => Promise<boolean> | boolean;

export interface PactEventServiceDeps {
  repo: CloudSinkRepository;
  security: SecurityStore;
  grants: GrantCache;
  delivery: EventDeliveryWorker;
  /** This host's public base URL: the `source` of the events it sends. */
  baseUrl: string;
  log: Logger;
  now: () => number;
  /** The served form of a footprint in a PACT version (v2: the stored document; v3: its v3 view). */
  view: (version: PactVersion, f: StoredFootprint) => Promise<unknown>;
  /** The request criteria of a RequestCreated event of a version (v2: the `pf` fragment; v3: the filters). */
  matcher: (version: PactVersion, data: Record<string, unknown>) => RequestMatcher | string;
}

/** `//host/path` or `https://host/path` → `host/path` (lower-case host, no trailing slash), for comparing sources. */
function sourceKey(url: string): string | undefined {
  const m = /^(?:https?:)?\/\/([^/?#\s]+)([^?#\s]*)$/i.exec(url.trim());
  return m ? `${m[1]!.toLowerCase()}${m[2]!.replace(/\/+$/, '')}` : undefined;
}

/** PACT v2/v3 §8.8.4: the response goes back to the host in the request's `source`, after checking it is the requester's. */
export function sourceMatches(source: string, ep: EventsEndpoint): boolean {
  const s = sourceKey(source);
  const base = sourceKey(ep.baseUrl);
  return s !== undefined && base !== undefined && (s === base || s.startsWith(`${base}/`));
}

/**
 * PACT events in both directions. Inbound (POST /2/events, /3/events): every accepted event is recorded (a repeated
 * (client, id) is acknowledged and not processed again); a RequestCreated is answered with RequestFulfilled (the
 * matching footprints the requester may see) or RequestRejected (a PACT error code), queued for delivery to the
 * requester's registered events endpoint — so the answer is sent asynchronously and survives a restart. Outbound:
 * `footprintsPublished` queues a Published event for every client that may see a new footprint version.
 */
export function createPactEventService(deps: PactEventServiceDeps) {
  const { security, now } = deps;
  const cloudEvent = (type: string, data: Record<string, unknown>) => newCloudEvent(deps.baseUrl, now(), type, data);
  const announce = publishedDeliveries({ security, grants: deps.grants, baseUrl: deps.baseUrl, now });

  async function enqueue(clientId: string, ep: EventsEndpoint, v: PactVersion, event: CloudEvent) {
    await security.enqueueDelivery(deliveryOf(clientId, ep, v, event, now()));
  }

  async function answer(v: PactVersion, clientId: string, ep: EventsEndpoint, event: Record<string, unknown>) {
    const requestEventId = event.id as string;
    const reject = (code: string, message: string) =>
      cloudEvent(EVENT_TYPE[v].rejected, { requestEventId, error: { code, message } });
    const match = deps.matcher(
      v,
      (v === 2 ? (event.data as { pf: object }).pf : event.data) as Record<string, unknown>,
    );
    let reply;
    if (typeof match === 'string') reply = reject('BadRequest', match);
    else {
      const active = (await deps.repo.listFootprints()).filter((f) => f.status === 'Active');
      const matching = [];
      for (const f of active) if (await match(f)) matching.push(f);
      const grants = await deps.grants.grantsFor(clientId);
      const visible = matching.filter((f) => granted(grants, footprintKeys(f)));
      if (matching.length === 0) reply = reject('NotFound', 'No footprint matches the request.');
      else if (visible.length === 0) reply = reject('AccessDenied', 'The matching footprints are not shared with you.');
      else
        reply = cloudEvent(EVENT_TYPE[v].fulfilled, {
          requestEventId,
          pfs: await Promise.all(visible.map((f) => deps.view(v, f))),
        });
    }
    await enqueue(clientId, ep, v, reply);
    deps.log.info({ clientId, requestEventId, answer: reply.type }, 'PACT request answered (queued)');
  }

  return {
    /** Handles a validated inbound event of `clientId`; HttpError 400 when a request cannot be answered at all. */
    async receive(v: PactVersion, clientId: string, event: Record<string, unknown>): Promise<void> {
      const type = String(event.type).replace(/^(?!org\.)/, 'org.wbcsd.pathfinder.');
      const isRequest = type === EVENT_TYPE[v].created;
      let ep: EventsEndpoint | undefined;
      if (isRequest) {
        ep = (await security.getClient(clientId))?.events;
        if (!ep)
          throw new HttpError(
            400,
            'BadRequest',
            'no events endpoint is registered for this client: the request cannot be answered',
          );
        if (!sourceMatches(String(event.source), ep))
          throw new HttpError(400, 'BadRequest', "the event's source is not this client's registered events endpoint");
      }
      const fresh = await security.recordEvent({
        clientId,
        eventId: String(event.id),
        source: String(event.source),
        type,
        body: JSON.stringify(event),
        receivedAtMs: now(),
      });
      if (!fresh || !isRequest) return;
      await answer(v, clientId, ep!, event);
      void deps.delivery.kick();
    },

    /**
     * Queues one Published event per client with an events endpoint that may see any of `rows` (new footprint
     * versions), as `publishedDeliveries` builds them. Returns the number queued. The footprint publisher queues its
     * own with the footprints, in one transaction (ADR 0235); this is for footprints saved otherwise.
     */
    async footprintsPublished(rows: readonly StoredFootprint[]): Promise<number> {
      const queued = await announce(rows);
      for (const d of queued) await security.enqueueDelivery(d);
      if (queued.length > 0) void deps.delivery.kick();
      return queued.length;
    },
  };
}
export type PactEventService = ReturnType<typeof createPactEventService>;
