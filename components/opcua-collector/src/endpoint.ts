import {
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type ClientSession,
  type DataValue,
  type UserIdentityInfo,
} from 'node-opcua-client';
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { PcfError, retryDelayMs, sleep, type Logger } from '@pcf-edge/core';
import type { EndpointConfig, PointConfig } from './config';
import type { ParsedNodeId } from './node-id';
import { resolveNodeId } from './resolve-node-id';
import { trustActionOf } from './trust-hint';
import { startPoller, type Poller, type PollItem } from './poller';
import { createSubscriptions, type SubscribeItem, type SubscriptionHandle } from './subscriptions';

/**
 * One OPC UA endpoint: a supervisor loop that connects, creates the session, resolves `nsu=` node ids against
 * the server's NamespaceArray, creates subscriptions and pollers, then waits for any sign of loss (channel
 * closed, session keep-alive failure, subscription terminated or silent, a failed Read). On loss it tears
 * everything down and rebuilds from scratch after the wait of the endpoint's retry policy (ADR 0170). node-opcua's own reconnection
 * is switched off (connectionStrategy.maxRetry 0): one recovery path, the same for session loss and server
 * restart (docs/adr/0061). Each point gets one `bad` reading per outage, when the outage starts.
 */
export interface EndpointPoint {
  meterId: string;
  point: PointConfig;
  parsed: ParsedNodeId;
  /** The meter's serial-number node rather than a measured point: no reading of its own. */
  serial?: boolean;
}

export interface EndpointDeps {
  log: Logger;
  certificateManager: OPCUACertificateManager;
  /** A value arrived for a point (response arrival time is taken by the callee). */
  deliver(p: EndpointPoint, dv: DataValue): void;
  /** The point could not be read: write a bad reading with this reason. */
  fail(p: EndpointPoint, reason: string): void;
}

export interface EndpointSettings {
  maxMonitoredItemsPerSubscription: number;
  queueSize: number;
  maxNodesPerRead?: number;
}

export type EndpointState = 'idle' | 'connecting' | 'connected' | 'down' | 'stopped';

export interface EndpointRunner {
  start(): void;
  stop(): Promise<void>;
  readonly state: EndpointState;
  readonly stats: { connects: number; losses: number; overruns: number };
}

const CLOSE_TIMEOUT_MS = 3000;

async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    t = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

function identity(e: EndpointConfig): UserIdentityInfo {
  return e.userName === undefined
    ? { type: UserTokenType.Anonymous }
    : { type: UserTokenType.UserName, userName: e.userName, password: e.password ?? '' };
}

export function createClient(e: EndpointConfig, certificateManager: OPCUACertificateManager): OPCUAClient {
  return OPCUAClient.create({
    applicationName: 'pcf-edge OpcUaCollector',
    securityMode: MessageSecurityMode[e.securityMode],
    securityPolicy: SecurityPolicy[e.securityPolicy],
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
    keepSessionAlive: true,
    requestedSessionTimeout: e.sessionTimeoutMs,
    transportTimeout: e.requestTimeoutMs,
    defaultTransactionTimeout: e.requestTimeoutMs,
    clientCertificateManager: certificateManager,
  });
}

export function createEndpointRunner(
  e: EndpointConfig,
  points: readonly EndpointPoint[],
  settings: EndpointSettings,
  deps: EndpointDeps,
): EndpointRunner {
  const log = deps.log.child({ endpoint: e.id });
  let state: EndpointState = 'idle';
  const stats = { connects: 0, losses: 0, overruns: 0 };
  let client: OPCUAClient | undefined;
  let session: ClientSession | undefined;
  let pollers: Poller[] = [];
  let handles: SubscriptionHandle[] = [];
  let watchdog: NodeJS.Timeout | undefined;
  let signalLost: (reason: string) => void = () => undefined;
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  function waitForLoss(): Promise<string> {
    return new Promise((resolve) => {
      signalLost = resolve;
    });
  }

  async function connect(lost: (reason: string) => void): Promise<void> {
    client = createClient(e, deps.certificateManager);
    client.on('connection_lost', () => lost('connection lost'));
    client.on('close', (err?: Error | null) => lost(`connection closed${err ? `: ${err.message}` : ''}`));
    await client.connect(e.url);
    session = await client.createSession(identity(e));
    session.on('keepalive_failure', () => lost('session keep-alive failed'));
    session.on('session_closed', () => lost('session closed'));
    // node-opcua may silently re-create a session the server dropped; its subscriptions are then gone or
    // transferred in ways we do not track, so rebuild everything ourselves.
    session.on('session_restored', () => lost('session was closed by the server'));
    const namespaces = await session.readNamespaceArray();
    const subscribe: SubscribeItem[] = [];
    const polled = new Map<number, PollItem[]>();
    for (const p of points) {
      const nodeId = resolveNodeId(p.parsed, namespaces);
      if (typeof nodeId === 'string') {
        deps.fail(p, `BadNodeIdUnknown: ${nodeId}`);
        continue;
      }
      const deliver = (dv: DataValue): void => deps.deliver(p, dv);
      if (p.point.mode === 'subscribe') {
        subscribe.push({
          nodeId,
          samplingIntervalMs: p.point.samplingIntervalMs,
          deadband: p.point.deadband,
          deliver,
          rejected: (s) => deps.fail(p, s.name),
        });
      } else {
        const list = polled.get(p.point.samplingIntervalMs) ?? [];
        list.push({ nodeId, deliver });
        polled.set(p.point.samplingIntervalMs, list);
      }
    }
    handles = await createSubscriptions(
      session,
      subscribe,
      { maxItemsPerSubscription: settings.maxMonitoredItemsPerSubscription, queueSize: settings.queueSize },
      lost,
    );
    for (const [interval, items] of polled) {
      pollers.push(
        startPoller(session, interval, items, settings.maxNodesPerRead ?? 1000, (err) =>
          lost(`read failed: ${err.message}`),
        ),
      );
    }
    watchdog = setInterval(() => {
      const now = Date.now();
      if (handles.some((h) => now - h.lastActivity > 3 * h.silenceMs + e.requestTimeoutMs))
        lost('subscription silent past its keep-alive');
    }, 1000);
    watchdog.unref();
  }

  async function teardown(): Promise<void> {
    if (watchdog) clearInterval(watchdog);
    watchdog = undefined;
    for (const p of pollers) {
      stats.overruns += p.overruns;
      p.stop();
    }
    pollers = [];
    handles = [];
    const c = client;
    const s = session;
    client = undefined;
    session = undefined;
    if (s)
      await within(
        s.close(true).catch(() => undefined),
        CLOSE_TIMEOUT_MS,
      );
    if (c)
      await within(
        c.disconnect().catch(() => undefined),
        CLOSE_TIMEOUT_MS,
      );
  }

  async function run(): Promise<void> {
    let failures = 0;
    let wasUp = true; // so the first failure after start marks points bad
    while (state !== 'stopped') {
      state = 'connecting';
      const loss = waitForLoss();
      let reason: string;
      let action: string | undefined;
      try {
        await connect((r) => signalLost(r));
        stats.connects++;
        if ((state as EndpointState) !== 'stopped') state = 'connected';
        failures = 0;
        wasUp = true;
        log.info({ url: e.url, subscriptions: handles.length, pollers: pollers.length }, 'endpoint connected');
        reason = await loss;
      } catch (err) {
        reason = `connect failed: ${(err as Error).message}`;
        action = trustActionOf(e, reason);
      }
      signalLost = () => undefined;
      await teardown();
      if ((state as EndpointState) === 'stopped') break;
      state = 'down';
      if (wasUp) {
        stats.losses++;
        log.warn(
          { url: e.url, err: new PcfError('ERR_OPCUA', reason), ...(action === undefined ? {} : { action }) },
          'endpoint lost; rebuilding session',
        );
        for (const p of points) deps.fail(p, `ERR_OPCUA: ${reason}`);
        wasUp = false;
      }
      failures++;
      await sleep(retryDelayMs(e.retry, failures), { signal: stopping.signal });
    }
  }

  return {
    start() {
      if (loop) return;
      loop = run().catch((err: unknown) => log.error({ err }, 'endpoint supervisor crashed'));
    },
    async stop() {
      state = 'stopped';
      signalLost('stopping');
      stopping.abort();
      await loop;
      await teardown();
    },
    get state() {
      return state;
    },
    stats,
  };
}
