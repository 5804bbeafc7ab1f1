import { PcfError } from '@pcf-edge/core';
import type { CloudSinkRepository } from './repository';
import { sqlOn, type Sql } from './security-sql';

/**
 * Who may do what, kept beside the repository's tables in the same database (migration 190): API clients and
 * their grants, gateway signing keys and the sites each gateway may report, and PACT events received and to be
 * delivered. Times are epoch milliseconds.
 */

/** Where and how PACT events are delivered to a client (its Action Events endpoint and its own credentials). */
export interface EventsEndpoint {
  /** Base URL of the client's PACT host: events go to `<baseUrl>/2/events` (or /3/events), tokens from `<baseUrl>/auth/token`. */
  baseUrl: string;
  /** Our client id at the client's host. */
  authClientId: string;
  /** Where our secret at the client's host is read from: `env:NAME` or `file:/path` (never stored here). */
  authSecretRef: string;
  /** PACT version of the client's host (default 2): the path and event types used for it. */
  version?: 2 | 3;
}

export interface ClientRecord {
  clientId: string;
  /** `scrypt$N$r$p$salt$hash` (api/secrets.ts). */
  secretHash: string;
  scopes: string[];
  disabled: boolean;
  events?: EventsEndpoint;
  createdAtMs: number;
  updatedAtMs: number;
}

export const GRANT_KINDS = ['product', 'productId', 'companyId'] as const;
export type GrantKind = (typeof GRANT_KINDS)[number];

/** A footprint is shared with a client when one grant matches it: its product, one of its product ids or company ids. */
export interface Grant {
  clientId: string;
  kind: GrantKind;
  value: string;
  createdAtMs: number;
}

export interface GatewayKey {
  /** The JWS `kid` the gateway signs with. */
  keyId: string;
  gatewayId: string;
  /** Ed25519 public key, JWK `x` (base64url, 32 bytes). */
  publicKey: string;
  /** Sites the gateway may report rollups for. */
  sites: string[];
  status: 'active' | 'retired';
  createdAtMs: number;
  retiredAtMs?: number;
}

export interface ReceivedEvent {
  clientId: string;
  eventId: string;
  source: string;
  type: string;
  body: string;
  receivedAtMs: number;
}

export interface EventDelivery {
  id: string;
  clientId: string;
  type: string;
  url: string;
  /** The CloudEvent as sent (JSON). */
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptMs: number;
  lastError?: string;
  createdAtMs: number;
  finishedAtMs?: number;
}

export interface SecurityStore {
  upsertClient(
    c: Omit<ClientRecord, 'createdAtMs' | 'updatedAtMs' | 'disabled'> & { disabled?: boolean },
  ): Promise<void>;
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  listClients(): Promise<ClientRecord[]>;
  /** ERR_NOT_FOUND when the client does not exist. */
  setClientDisabled(clientId: string, disabled: boolean): Promise<void>;
  setClientEvents(clientId: string, events: EventsEndpoint | undefined): Promise<void>;

  addGrant(g: Omit<Grant, 'createdAtMs'>): Promise<boolean>;
  removeGrant(g: Omit<Grant, 'createdAtMs'>): Promise<boolean>;
  listGrants(clientId?: string): Promise<Grant[]>;

  /** ERR_USAGE when the key id exists already. */
  addGatewayKey(k: Omit<GatewayKey, 'createdAtMs' | 'status' | 'retiredAtMs'>): Promise<void>;
  retireGatewayKey(keyId: string): Promise<boolean>;
  getGatewayKey(keyId: string): Promise<GatewayKey | undefined>;
  listGatewayKeys(): Promise<GatewayKey[]>;

  /** Records an inbound event; false when (client, event id) was received before. */
  recordEvent(e: ReceivedEvent): Promise<boolean>;
  enqueueDelivery(d: Omit<EventDelivery, 'status' | 'attempts' | 'lastError' | 'finishedAtMs'>): Promise<void>;
  /**
   * Leases up to `limit` pending deliveries due at `nowMs` until `nowMs + leaseMs`, counting the attempt; a
   * delivery leased by one process (or worker) is not returned to another until its lease ends.
   */
  claimDeliveries(nowMs: number, leaseMs: number, limit: number): Promise<EventDelivery[]>;
  /** Outcome of an attempt: delivered, failed for good, or pending again at `nextAttemptMs`. */
  settleDelivery(
    id: string,
    outcome: { status: EventDelivery['status']; nextAttemptMs?: number; error?: string; atMs: number },
  ): Promise<void>;
  listDeliveries(clientId?: string): Promise<EventDelivery[]>;
}

type Row = Record<string, unknown>;
const num = (v: unknown) => Number(v);

const toClient = (r: Row): ClientRecord => ({
  clientId: r.client_id as string,
  secretHash: r.secret_hash as string,
  scopes: JSON.parse(r.scopes as string) as string[],
  disabled: num(r.disabled) === 1,
  ...(r.events ? { events: JSON.parse(r.events as string) as EventsEndpoint } : {}),
  createdAtMs: num(r.created_at_ms),
  updatedAtMs: num(r.updated_at_ms),
});
const toKey = (r: Row): GatewayKey => ({
  keyId: r.key_id as string,
  gatewayId: r.gateway_id as string,
  publicKey: r.public_key as string,
  sites: JSON.parse(r.sites as string) as string[],
  status: r.status as GatewayKey['status'],
  createdAtMs: num(r.created_at_ms),
  ...(r.retired_at_ms !== null && r.retired_at_ms !== undefined ? { retiredAtMs: num(r.retired_at_ms) } : {}),
});
const toDelivery = (r: Row): EventDelivery => ({
  id: r.id as string,
  clientId: r.client_id as string,
  type: r.type as string,
  url: r.url as string,
  body: r.body as string,
  status: r.status as EventDelivery['status'],
  attempts: num(r.attempts),
  nextAttemptMs: num(r.next_attempt_ms),
  ...(r.last_error ? { lastError: r.last_error as string } : {}),
  createdAtMs: num(r.created_at_ms),
  ...(r.finished_at_ms !== null && r.finished_at_ms !== undefined ? { finishedAtMs: num(r.finished_at_ms) } : {}),
});

/** The security store on a repository's own connection (SQLite or PostgreSQL); its tables come with the repository's migrations. */
export function openSecurityStore(repo: CloudSinkRepository, now: () => number = Date.now): SecurityStore {
  if (!repo.connection)
    throw new PcfError('ERR_USAGE', 'this repository exposes no database connection for the security store');
  return createSecurityStore(sqlOn(repo.connection), now);
}

export function createSecurityStore(sql: Sql, now: () => number): SecurityStore {
  const mustExist = (changed: number, clientId: string) => {
    if (changed === 0) throw new PcfError('ERR_NOT_FOUND', `no API client '${clientId}'`, { clientId });
  };
  return {
    async upsertClient(c) {
      const at = now();
      await sql.run(
        `INSERT INTO api_clients (client_id, secret_hash, scopes, disabled, events, created_at_ms, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash,
         scopes = excluded.scopes, updated_at_ms = excluded.updated_at_ms`,
        [
          c.clientId,
          c.secretHash,
          JSON.stringify(c.scopes),
          c.disabled ? 1 : 0,
          c.events ? JSON.stringify(c.events) : null,
          at,
          at,
        ],
      );
    },
    async getClient(clientId) {
      const [r] = await sql.all<Row>('SELECT * FROM api_clients WHERE client_id = ?', [clientId]);
      return r ? toClient(r) : undefined;
    },
    async listClients() {
      return (await sql.all<Row>('SELECT * FROM api_clients ORDER BY client_id')).map(toClient);
    },
    async setClientDisabled(clientId, disabled) {
      mustExist(
        await sql.run('UPDATE api_clients SET disabled = ?, updated_at_ms = ? WHERE client_id = ?', [
          disabled ? 1 : 0,
          now(),
          clientId,
        ]),
        clientId,
      );
    },
    async setClientEvents(clientId, events) {
      mustExist(
        await sql.run('UPDATE api_clients SET events = ?, updated_at_ms = ? WHERE client_id = ?', [
          events ? JSON.stringify(events) : null,
          now(),
          clientId,
        ]),
        clientId,
      );
    },
    async addGrant(g) {
      const exists = await sql.all<Row>('SELECT 1 AS x FROM api_clients WHERE client_id = ?', [g.clientId]);
      mustExist(exists.length, g.clientId);
      return (
        (await sql.run(
          'INSERT INTO api_grants (client_id, kind, value, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
          [g.clientId, g.kind, g.value, now()],
        )) > 0
      );
    },
    async removeGrant(g) {
      return (
        (await sql.run('DELETE FROM api_grants WHERE client_id = ? AND kind = ? AND value = ?', [
          g.clientId,
          g.kind,
          g.value,
        ])) > 0
      );
    },
    async listGrants(clientId) {
      const rows = clientId
        ? await sql.all<Row>('SELECT * FROM api_grants WHERE client_id = ? ORDER BY kind, value', [clientId])
        : await sql.all<Row>('SELECT * FROM api_grants ORDER BY client_id, kind, value');
      return rows.map((r) => ({
        clientId: r.client_id as string,
        kind: r.kind as GrantKind,
        value: r.value as string,
        createdAtMs: num(r.created_at_ms),
      }));
    },
    async addGatewayKey(k) {
      const added = await sql.run(
        `INSERT INTO gateway_keys (key_id, gateway_id, public_key, sites, status, created_at_ms) VALUES (?, ?, ?, ?, 'active', ?)
         ON CONFLICT (key_id) DO NOTHING`,
        [k.keyId, k.gatewayId, k.publicKey, JSON.stringify([...k.sites].sort()), now()],
      );
      if (added === 0) throw new PcfError('ERR_USAGE', `gateway key '${k.keyId}' is registered already`);
    },
    async retireGatewayKey(keyId) {
      return (
        (await sql.run(
          "UPDATE gateway_keys SET status = 'retired', retired_at_ms = ? WHERE key_id = ? AND status = 'active'",
          [now(), keyId],
        )) > 0
      );
    },
    async getGatewayKey(keyId) {
      const [r] = await sql.all<Row>('SELECT * FROM gateway_keys WHERE key_id = ?', [keyId]);
      return r ? toKey(r) : undefined;
    },
    async listGatewayKeys() {
      return (await sql.all<Row>('SELECT * FROM gateway_keys ORDER BY gateway_id, created_at_ms, key_id')).map(toKey);
    },
    async recordEvent(e) {
      return (
        (await sql.run(
          `INSERT INTO pact_events_received (client_id, event_id, source, type, body, received_at_ms) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
          [e.clientId, e.eventId, e.source, e.type, e.body, e.receivedAtMs],
        )) > 0
      );
    },
    async enqueueDelivery(d) {
      await sql.run(
        `INSERT INTO pact_event_deliveries (id, client_id, type, url, body, status, attempts, next_attempt_ms, lease_until_ms,
         created_at_ms) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, 0, ?)`,
        [d.id, d.clientId, d.type, d.url, d.body, d.nextAttemptMs, d.createdAtMs],
      );
    },
    async claimDeliveries(nowMs, leaseMs, limit) {
      // a read first: idle polls (every process, every second) write nothing
      const due = await sql.all<{ id: string }>(
        `SELECT id FROM pact_event_deliveries WHERE status = 'pending' AND next_attempt_ms <= ? AND lease_until_ms <= ?
         ORDER BY next_attempt_ms LIMIT ?`,
        [nowMs, nowMs, limit],
      );
      if (due.length === 0) return [];
      // the lease is taken only where nobody took it in between (the WHERE is re-checked on the locked row)
      const rows = await sql.all<Row>(
        `UPDATE pact_event_deliveries SET lease_until_ms = ?, attempts = attempts + 1
         WHERE id IN (${due.map(() => '?').join(', ')}) AND status = 'pending' AND lease_until_ms <= ? RETURNING *`,
        [nowMs + leaseMs, ...due.map((d) => d.id), nowMs],
      );
      return rows.map(toDelivery).sort((a, b) => a.nextAttemptMs - b.nextAttemptMs || a.id.localeCompare(b.id));
    },
    async settleDelivery(id, o) {
      await sql.run(
        `UPDATE pact_event_deliveries SET status = ?, next_attempt_ms = ?, lease_until_ms = 0, last_error = COALESCE(?, last_error),
         finished_at_ms = ? WHERE id = ?`,
        [o.status, o.nextAttemptMs ?? o.atMs, o.error ?? null, o.status === 'pending' ? null : o.atMs, id],
      );
    },
    async listDeliveries(clientId) {
      const rows = clientId
        ? await sql.all<Row>('SELECT * FROM pact_event_deliveries WHERE client_id = ? ORDER BY created_at_ms, id', [
            clientId,
          ])
        : await sql.all<Row>('SELECT * FROM pact_event_deliveries ORDER BY created_at_ms, id');
      return rows.map(toDelivery);
    },
  };
}
