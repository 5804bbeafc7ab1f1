import { systemClock, silentLogger, type Clock, type Logger, type Reading, type SiteClaimSink } from '@pcf-edge/core';
import type { MeterHealth, ReadingWriter } from '@pcf-edge/store';
import { CircuitBreaker } from '@pcf-edge/core';
import type { CollectorConfig } from './config';
import type { DeviceLink, LinkStats } from './link';
import { createDeviceLink } from './links';
import type { PollReadings } from './poll-readings';
import { MeterPoller } from './poller';
import { createScheduler, type Scheduler } from './scheduler';
import { COMPONENT_NAME, siteClaimsOf } from './site-claims';

/** The part of the gateway store the collector uses. */
export interface CollectorStore {
  createReadingWriter(opts: { maxBatch: number; maxDelayMs: number }): ReadingWriter;
  upsertMeterHealth(rows: MeterHealth[]): void;
}

export interface CollectorDeps {
  /** Where readings and health rows go; without it readings only reach `onReading`. */
  store?: CollectorStore;
  /** Timestamps of readings and health rows (scheduling uses the wall clock). Default: system clock. */
  clock?: Clock;
  log?: Logger;
  /** Called with every reading after it was handed to the store. */
  onReading?: (reading: Reading) => void;
  /**
   * Where the meters' descriptions go for the other components (the gateway store; docs/adr/0220): published
   * before the first reading of a configuration and before a reload takes effect. A contradiction with another
   * component's configuration throws ERR_CONFIG_INVALID from start, pollOnce or reload.
   */
  siteModel?: SiteClaimSink;
  /** Where the configuration comes from, for messages naming it (a file path; Greengrass). */
  configSource?: string;
}

export interface CollectorStats {
  polls: number;
  overruns: number;
  readings: number;
  /** Requests sent on the wire. */
  requests: number;
  devices: Record<string, LinkStats>;
}

export interface ModbusCollector {
  /** Starts fixed-rate polling of every meter. */
  start(): void;
  /** Stops polling, waits for polls in flight, closes connections, flushes readings and health. */
  stop(): Promise<void>;
  /** Polls every meter once now (all devices in parallel) and returns the readings; used by the dry run and tests. */
  pollOnce(): Promise<Reading[]>;
  /** Swaps in a validated config: stops the current pollers (waiting for polls in flight) and starts new ones. */
  reload(config: Readonly<CollectorConfig>): Promise<void>;
  pollers(): readonly MeterPoller[];
  /** The config in effect. */
  config(): Readonly<CollectorConfig>;
  stats(): CollectorStats;
}

interface Runtime {
  retired: boolean;
  links: Map<string, DeviceLink>;
  pollers: MeterPoller[];
  scheduler: Scheduler;
}

export function createModbusCollector(initial: Readonly<CollectorConfig>, deps: CollectorDeps = {}): ModbusCollector {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLogger();
  let config = initial;
  let writer: ReadingWriter | null = null;
  let healthTimer: NodeJS.Timeout | null = null;
  let running = false;
  const totals = { readings: 0, requests: 0, polls: 0, overruns: 0 };

  function emit(readings: PollReadings): void {
    totals.readings += readings.length;
    writer?.writeRows(readings);
    if (deps.onReading) for (const r of readings.toReadings()) deps.onReading(r);
  }

  function build(cfg: Readonly<CollectorConfig>): Runtime {
    const links = new Map<string, DeviceLink>();
    const breakers = new Map<string, CircuitBreaker>();
    for (const d of cfg.devices) links.set(d.id, createDeviceLink(d, log.child({ device: d.id })));
    const pollers = cfg.meters.map((m) => {
      const device = cfg.devices.find((d) => d.id === m.device);
      const link = links.get(m.device);
      if (!device || !link) throw new Error(`meter ${m.id}: device ${m.device} missing from a validated config`);
      const key = `${m.device}/${m.unitId}`;
      const breaker = breakers.get(key) ?? new CircuitBreaker(device.circuitBreaker);
      breakers.set(key, breaker);
      return new MeterPoller(cfg.site, m, device, link, breaker, clock);
    });
    const scheduler = createScheduler(pollers, {
      onResult: (res) => emit(res.readings),
      onError: (err, poller) => log.error({ err, meterId: poller.meter.id }, 'meter poll failed'),
    });
    return { retired: false, links, pollers, scheduler };
  }

  let rt = build(config);
  /** The configuration whose site-model claims were last published. */
  let published: Readonly<CollectorConfig> | null = null;

  function publish(cfg: Readonly<CollectorConfig>): void {
    if (!deps.siteModel || published === cfg) return;
    deps.siteModel.publishSiteClaims(COMPONENT_NAME, deps.configSource ?? 'configuration', siteClaimsOf(cfg));
    published = cfg;
  }

  function writeHealth(): void {
    if (!deps.store) return;
    try {
      deps.store.upsertMeterHealth(rt.pollers.map((p) => p.healthRow()));
    } catch (err) {
      log.error({ err }, 'meter health write failed');
    }
  }

  async function teardown(old: Runtime): Promise<void> {
    if (old.retired) return;
    old.retired = true;
    await old.scheduler.stop();
    totals.polls += old.scheduler.stats().polls;
    totals.overruns += old.scheduler.stats().overruns;
    const released: Promise<void>[] = [];
    for (const link of old.links.values()) {
      released.push(link.close());
      totals.requests += link.stats.requests;
    }
    await Promise.all(released);
  }

  return {
    start() {
      if (running) return;
      publish(config);
      running = true;
      if (rt.retired) rt = build(config);
      if (deps.store && !writer) writer = deps.store.createReadingWriter(config.batch);
      rt.scheduler.start();
      healthTimer = setInterval(writeHealth, config.healthIntervalMs);
    },
    async stop() {
      running = false;
      if (healthTimer) clearInterval(healthTimer);
      healthTimer = null;
      await teardown(rt);
      writeHealth();
      writer?.close();
      writer = null;
    },
    async pollOnce() {
      publish(config);
      const results = await Promise.all(rt.pollers.map((p) => p.poll()));
      for (const r of results) emit(r.readings);
      writeHealth();
      return results.flatMap((r) => r.readings.toReadings());
    },
    async reload(next) {
      const old = rt;
      const cfg = { ...next, batch: config.batch };
      publish(cfg);
      config = cfg;
      await teardown(old);
      writeHealth();
      rt = build(config);
      if (running) {
        rt.scheduler.start();
        if (healthTimer) clearInterval(healthTimer);
        healthTimer = setInterval(writeHealth, config.healthIntervalMs);
      }
    },
    pollers: () => rt.pollers,
    config: () => config,
    stats() {
      const live = rt.retired ? { polls: 0, overruns: 0 } : rt.scheduler.stats();
      const devices: Record<string, LinkStats> = {};
      let requests = totals.requests;
      for (const [id, link] of rt.links) {
        devices[id] = { ...link.stats };
        if (!rt.retired) requests += link.stats.requests;
      }
      return {
        polls: totals.polls + live.polls,
        overruns: totals.overruns + live.overruns,
        readings: totals.readings,
        requests,
        devices,
      };
    },
  };
}
