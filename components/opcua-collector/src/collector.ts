import { mkdirSync } from 'node:fs';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { DataValue } from 'node-opcua-client';
import { systemClock, unitOf, type Clock, type Logger, type Reading, type SiteClaimSink } from '@pcf-edge/core';
import type { MeterHealth } from '@pcf-edge/store';
import { kindOf, type EndpointConfig, type MeterConfig, type OpcUaCollectorConfig, type PointConfig } from './config';
import { decodeDataValue, type Decoded } from './decode';
import { createClient, createEndpointRunner, type EndpointPoint, type EndpointRunner } from './endpoint';
import { createHealthTracker, type HealthTracker } from './health';
import { parseNodeId } from './node-id';
import { COMPONENT_NAME, siteClaimsOf } from './site-claims';

export const COLLECTOR_NAME = 'opcua-collector';

/** Where readings and health rows go: the store's ReadingWriter and GatewayStore in production. */
export interface OpcUaCollectorDeps {
  readings: { write(reading: Reading): void };
  health: { upsertMeterHealth(rows: MeterHealth[]): void };
  log: Logger;
  clock?: Clock;
  /**
   * Where the meters' descriptions go for the other components (the gateway store; docs/adr/0220): published
   * before the first reading and before a changed configuration takes effect. A contradiction with another
   * component's configuration throws ERR_CONFIG_INVALID from start or applyConfig.
   */
  siteModel?: SiteClaimSink;
  /** Where the configuration comes from, for messages naming it (a file path; Greengrass). */
  configSource?: string;
}

export interface OpcUaCollectorStats {
  readings: number;
  bad: number;
  /** Readings the writer refused (store full or closed). */
  dropped: number;
  endpoints: Record<string, { state: string; connects: number; losses: number; overruns: number }>;
}

export interface OpcUaCollector {
  /** Prepares the PKI folders and starts every endpoint; connecting continues in the background. */
  start(): Promise<void>;
  /** Stops every endpoint and writes the final health rows. */
  stop(): Promise<void>;
  /** Switches to an already validated config, restarting only endpoints whose settings or meters changed. */
  applyConfig(next: Readonly<OpcUaCollectorConfig>): Promise<void>;
  stats(): OpcUaCollectorStats;
  health(): MeterHealth[];
}

/** What an endpoint depends on: restart it when this changes. */
function fingerprint(c: Readonly<OpcUaCollectorConfig>, e: EndpointConfig): string {
  return JSON.stringify([
    c.site,
    c.maxMonitoredItemsPerSubscription,
    c.queueSize,
    e,
    c.meters.filter((m) => m.endpoint === e.id),
  ]);
}

export function createOpcUaCollector(
  initial: Readonly<OpcUaCollectorConfig>,
  deps: OpcUaCollectorDeps,
): OpcUaCollector {
  const clock = deps.clock ?? systemClock;
  const log = deps.log.child({ stage: 'collect' });
  let config = initial;
  let meters = new Map<string, MeterConfig>(config.meters.map((m) => [m.id, m]));
  let tracker: HealthTracker = createHealthTracker(config.site, COLLECTOR_NAME, config.meters);
  const runners = new Map<string, { runner: EndpointRunner; fingerprint: string }>();
  const certManagers = new Map<string, OPCUACertificateManager>();
  const counts = { readings: 0, bad: 0, dropped: 0 };
  /** Latest good serial number per meter (from its serialNodeId). */
  const serials = new Map<string, string>();
  let lastDropLog = 0;
  let healthTimer: NodeJS.Timeout | undefined;

  function write(p: EndpointPoint, d: Decoded, sourceTs: number | null): void {
    const meter = meters.get(p.meterId);
    if (!meter) return;
    const readTs = clock.now();
    const reading: Reading = {
      site: config.site,
      line: meter.line,
      meterId: meter.id,
      point: p.point.name,
      quantity: p.point.quantity,
      kind: kindOf(p.point),
      value: d.value,
      unit: unitOf(p.point.quantity),
      sourceTs,
      readTs,
      quality: d.quality,
    };
    if (d.reason !== undefined) reading.qualityReason = d.reason;
    const serial = serials.get(meter.id);
    if (serial !== undefined) reading.meterSerial = serial;
    counts.readings++;
    if (d.quality === 'bad') counts.bad++;
    tracker.record(meter.id, p.point.name, d.quality, d.reason, readTs);
    try {
      deps.readings.write(reading);
    } catch (err) {
      counts.dropped++;
      if (readTs - lastDropLog > 10_000) {
        lastDropLog = readTs;
        log.error({ err, dropped: counts.dropped }, 'reading writer refused readings');
      }
    }
  }

  function serialArrived(p: EndpointPoint, dv: DataValue): void {
    const v: unknown = dv.value.value;
    if (dv.statusCode.isGood() && typeof v === 'string' && v.length > 0) serials.set(p.meterId, v);
  }

  const endpointDeps = (cm: OPCUACertificateManager) => ({
    log,
    certificateManager: cm,
    deliver: (p: EndpointPoint, dv: DataValue) => {
      if (p.serial === true) serialArrived(p, dv);
      else write(p, decodeDataValue(dv, p.point.scale), dv.sourceTimestamp ? dv.sourceTimestamp.getTime() : null);
    },
    fail: (p: EndpointPoint, reason: string) => {
      if (p.serial === true) log.warn({ meterId: p.meterId, reason }, 'meter serial number node unreadable');
      else write(p, { value: null, quality: 'bad', reason }, null);
    },
  });

  async function certificateManager(e: EndpointConfig): Promise<OPCUACertificateManager> {
    let cm = certManagers.get(e.pkiDir);
    if (!cm) {
      mkdirSync(e.pkiDir, { recursive: true });
      cm = new OPCUACertificateManager({
        rootFolder: e.pkiDir,
        automaticallyAcceptUnknownCertificate: e.automaticallyAcceptUnknownCertificate,
      });
      certManagers.set(e.pkiDir, cm);
      await cm.initialize();
      // Create the client certificate once per folder, before endpoints sharing it connect concurrently.
      await createClient(e, cm).createDefaultCertificate();
    }
    return cm;
  }

  function pointsOf(e: EndpointConfig): EndpointPoint[] {
    const out: EndpointPoint[] = [];
    for (const m of config.meters.filter((x) => x.endpoint === e.id)) {
      const serial = m.serialNodeId === undefined ? undefined : parseNodeId(m.serialNodeId);
      if (serial !== undefined && typeof serial !== 'string') {
        // Subscribed ahead of the meter's points (same sampling interval as its fastest point), so the serial
        // is usually known before the first reading; a change is stamped on every later reading.
        const fastest = Math.min(...m.points.map((p) => p.samplingIntervalMs));
        const point: PointConfig = {
          name: 'serialNumber',
          nodeId: m.serialNodeId as string,
          quantity: 'machineState',
          mode: 'subscribe',
          samplingIntervalMs: fastest,
          scale: 1,
        };
        out.push({ meterId: m.id, point, parsed: serial, serial: true });
      }
      for (const point of m.points) {
        const parsed = parseNodeId(point.nodeId);
        if (typeof parsed !== 'string') out.push({ meterId: m.id, point, parsed });
      }
    }
    return out;
  }

  async function startEndpoint(e: EndpointConfig): Promise<void> {
    const cm = await certificateManager(e);
    const runner = createEndpointRunner(
      e,
      pointsOf(e),
      { maxMonitoredItemsPerSubscription: config.maxMonitoredItemsPerSubscription, queueSize: config.queueSize },
      endpointDeps(cm),
    );
    runners.set(e.id, { runner, fingerprint: fingerprint(config, e) });
    runner.start();
  }

  function publish(c: Readonly<OpcUaCollectorConfig>): void {
    deps.siteModel?.publishSiteClaims(COMPONENT_NAME, deps.configSource ?? 'configuration', siteClaimsOf(c));
  }

  function flushHealth(all: boolean): void {
    const now = clock.now();
    const rows = all ? tracker.snapshot(now) : tracker.drain(now);
    if (rows.length === 0) return;
    try {
      deps.health.upsertMeterHealth(rows);
    } catch (err) {
      log.error({ err }, 'meter health write failed');
    }
  }

  return {
    async start() {
      publish(config);
      for (const e of config.endpoints) await startEndpoint(e);
      healthTimer = setInterval(() => flushHealth(false), config.healthIntervalMs);
      healthTimer.unref();
      log.info(
        { site: config.site, endpoints: config.endpoints.length, meters: config.meters.length },
        'collector started',
      );
    },
    async stop() {
      if (healthTimer) clearInterval(healthTimer);
      healthTimer = undefined;
      await Promise.all([...runners.values()].map((r) => r.runner.stop()));
      runners.clear();
      flushHealth(true);
      for (const cm of certManagers.values()) await cm.dispose();
      certManagers.clear();
    },
    async applyConfig(next) {
      publish(next);
      const old = config;
      config = next;
      meters = new Map(next.meters.map((m) => [m.id, m]));
      tracker = createHealthTracker(next.site, COLLECTOR_NAME, next.meters);
      const keep = new Set(
        next.endpoints.filter((e) => runners.get(e.id)?.fingerprint === fingerprint(next, e)).map((e) => e.id),
      );
      const stopping = [...runners.entries()].filter(([id]) => !keep.has(id));
      await Promise.all(stopping.map(([, r]) => r.runner.stop()));
      for (const [id] of stopping) runners.delete(id);
      for (const e of next.endpoints) if (!keep.has(e.id)) await startEndpoint(e);
      if (healthTimer && old.healthIntervalMs !== next.healthIntervalMs) {
        clearInterval(healthTimer);
        healthTimer = setInterval(() => flushHealth(false), next.healthIntervalMs);
        healthTimer.unref();
      }
      log.info({ restarted: stopping.map(([id]) => id), kept: [...keep] }, 'configuration applied');
    },
    stats() {
      const endpoints: OpcUaCollectorStats['endpoints'] = {};
      for (const [id, { runner }] of runners) endpoints[id] = { state: runner.state, ...runner.stats };
      return { ...counts, endpoints };
    },
    health() {
      return tracker.snapshot(clock.now());
    },
  };
}
