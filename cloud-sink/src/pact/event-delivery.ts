import { readFileSync } from 'node:fs';
import type { Logger } from '@pcf-edge/core';
import type { EventDelivery, EventsEndpoint, SecurityStore } from '../store/security-store';

export interface DeliveryPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Attempts stop this long after the event was created (PACT: at most 3 days). */
  giveUpAfterMs: number;
  pollIntervalMs: number;
}

/** How long a claimed delivery stays leased to the process that claimed it (one attempt's time out, with margin). */
const LEASE_MS = 60_000;
const ATTEMPT_TIMEOUT_MS = 15_000;
const BATCH = 20;

/** Reads an outbound secret reference: `env:NAME` or `file:/path` (trailing newline dropped). */
export function readSecretRef(ref: string): string {
  if (ref.startsWith('env:')) {
    const v = process.env[ref.slice(4)];
    if (!v) throw new Error(`environment variable ${ref.slice(4)} (events secret) is not set`);
    return v;
  }
  if (ref.startsWith('file:')) return readFileSync(ref.slice(5), 'utf8').replace(/\r?\n$/, '');
  throw new Error(`secret reference '${ref}' must be env:NAME or file:/path`);
}

/** Delay before attempt `attempts + 1`: initial × 2^(attempts − 1), capped, ±20 % jitter. */
export function backoffMs(attempts: number, p: DeliveryPolicy, random = Math.random): number {
  const base = Math.min(p.initialBackoffMs * 2 ** Math.max(0, attempts - 1), p.maxBackoffMs);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Delivers queued PACT events to each client's Action Events endpoint with the client's own credentials (OAuth
 * client credentials at the token endpoint its OIDC discovery names, else `<baseUrl>/auth/token`, per PACT v2
 * §8.3), retried with exponential backoff until `giveUpAfterMs`; every attempt's outcome is recorded. Deliveries are
 * leased in the database, so several processes deliver each event once.
 */
export function createEventDelivery(deps: {
  security: SecurityStore;
  policy: DeliveryPolicy;
  log: Logger;
  now: () => number;
  fetch?: typeof fetch;
}) {
  const { security, policy, log, now } = deps;
  const http = deps.fetch ?? fetch;
  const tokens = new Map<string, { token: string; untilMs: number }>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;

  async function tokenEndpoint(base: string): Promise<string> {
    try {
      const res = await http(`${base}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      if (res.ok) {
        const doc = (await res.json()) as { token_endpoint?: unknown };
        if (typeof doc.token_endpoint === 'string' && /^https?:\/\//.test(doc.token_endpoint))
          return doc.token_endpoint;
      }
    } catch {
      // no discovery document: the PACT default endpoint
    }
    return `${base}/auth/token`;
  }

  async function tokenFor(clientId: string, ep: EventsEndpoint): Promise<string> {
    const hit = tokens.get(clientId);
    if (hit && hit.untilMs > now()) return hit.token;
    const secret = readSecretRef(ep.authSecretRef);
    const res = await http(await tokenEndpoint(ep.baseUrl), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(ep.authClientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`token request at ${ep.baseUrl} answered ${res.status}`);
    const body = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new Error(`token response of ${ep.baseUrl} has no access_token`);
    const ttlSec = typeof body.expires_in === 'number' ? body.expires_in : 300;
    tokens.set(clientId, { token: body.access_token, untilMs: now() + Math.max(0, ttlSec - 30) * 1000 });
    return body.access_token;
  }

  async function attempt(d: EventDelivery): Promise<void> {
    const client = await security.getClient(d.clientId);
    if (!client?.events) throw new Error(`client ${d.clientId} has no events endpoint any more`);
    const send = async () =>
      http(d.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await tokenFor(d.clientId, client.events!)}`,
          'content-type': 'application/cloudevents+json; charset=UTF-8',
        },
        body: d.body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
    let res = await send();
    if (res.status === 401) {
      tokens.delete(d.clientId); // expired or revoked at their side: one fresh token
      res = await send();
    }
    if (res.status < 200 || res.status > 299) throw new Error(`events endpoint answered ${res.status}`);
  }

  /** One pass: attempts every due delivery this process could lease; returns how many were delivered. */
  async function deliverDue(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const batch = await security.claimDeliveries(now(), LEASE_MS, BATCH);
      if (batch.length === 0) return delivered;
      for (const d of batch) {
        try {
          await attempt(d);
          await security.settleDelivery(d.id, { status: 'delivered', atMs: now() });
          delivered++;
          log.info(
            { deliveryId: d.id, clientId: d.clientId, type: d.type, attempts: d.attempts },
            'PACT event delivered',
          );
        } catch (err) {
          const next = now() + backoffMs(d.attempts, policy);
          const giveUp = next - d.createdAtMs > policy.giveUpAfterMs;
          const error = (err as Error).message;
          await security.settleDelivery(d.id, {
            status: giveUp ? 'failed' : 'pending',
            nextAttemptMs: next,
            error,
            atMs: now(),
          });
          log.warn(
            { deliveryId: d.id, clientId: d.clientId, attempts: d.attempts, error, giveUp },
            'PACT event delivery failed',
          );
        }
      }
    }
  }

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void kick(), ms);
    timer.unref();
  };
  /** Runs a pass now (or after the running one) and schedules the next. */
  function kick(): Promise<number> {
    running ??= deliverDue()
      .catch((err: unknown) => {
        log.error({ err }, 'PACT event delivery pass failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
        schedule(policy.pollIntervalMs);
      });
    return running;
  }

  return {
    deliverDue,
    kick,
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
export type EventDeliveryWorker = ReturnType<typeof createEventDelivery>;
