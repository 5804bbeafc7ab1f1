import { createLogger, type LineRollup, type Logger, systemClock } from '@pcf-edge/core';
import { type GreengrassAdapter, runGreengrassApp } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore } from '@pcf-edge/store';
import type { AggregatorConfig } from './config';
import { type AggregatorStore, createLineAggregator, type LineAggregator } from './aggregator';
import { publishingStore } from './greengrass-publish';
import { aggregatorConfigOf, COMPONENT_NAME, type GreengrassConfig, greengrassSchema, problemsOf } from './greengrass-config';

/** Per-line rollups held while IPC is not yet handed over (a backlog at start); more are not published. */
const MAX_EARLY_ROLLUPS = 10_000;

/**
 * Runs the aggregator under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus; a
 * live-safe change stops the aggregator between batches and starts a new one on the same store (its progress
 * and anchors are in the store); restart-only changes exit RESTART_EXIT_CODE (ADR 0070). With a
 * `lineRollupTopic`, every committed per-line rollup is also published there (best effort).
 */
export function runUnderGreengrass(storeArg: string | undefined, log: Logger = createLogger({ component: 'line-aggregator' })): Promise<number> {
  const startAggregator = (config: Readonly<AggregatorConfig>, view: AggregatorStore): LineAggregator => {
    const aggregator = createLineAggregator(config, { store: view, clock: systemClock, log });
    aggregator.start();
    return aggregator;
  };
  /** The adapter is known once the first configuration was applied; rollups committed before that wait in `early`. */
  const ipc: { adapter?: GreengrassAdapter; early: { topic: string; rollup: LineRollup }[] } = { early: [] };
  const publish = (topic: string) => (rollup: LineRollup): Promise<void> => {
    if (ipc.adapter) return ipc.adapter.publish(topic, rollup);
    if (ipc.early.length >= MAX_EARLY_ROLLUPS) return Promise.reject(new Error('Greengrass IPC not ready; early rollup queue full'));
    ipc.early.push({ topic, rollup });
    return Promise.resolve();
  };
  return runGreengrassApp<GreengrassConfig, { store: GatewayStore; view: AggregatorStore; aggregator: LineAggregator }>({
    schema: greengrassSchema, componentName: COMPONENT_NAME, log, check: problemsOf, storeArg,
    start: (config, storePath) => {
      const own = aggregatorConfigOf(config);
      const store = openStore(storePath, { log });
      const topic = config.lineRollupTopic;
      const view = topic ? publishingStore(store, publish(topic), log) : store;
      log.info({ lineRollupTopic: topic || undefined, meters: own.meters.length }, 'line aggregator starting');
      return { store, view, aggregator: startAggregator(own, view) };
    },
    apply: (app, config) => {
      const own = aggregatorConfigOf(config);
      app.aggregator.stop();
      app.aggregator = startAggregator(own, app.view);
      log.info({ meters: own.meters.length }, 'line aggregator reconfigured');
    },
    stop: (app) => {
      app.aggregator.stop();
      app.store.close();
    },
    summary: (app) => ({ cursor: app.aggregator.progress().cursor }),
    ready: (adapter) => {
      if (adapter === undefined) return;
      ipc.adapter = adapter;
      for (const { topic, rollup } of ipc.early.splice(0)) {
        adapter.publish(topic, rollup).catch((err: unknown) => log.warn({ err, line: rollup.line, windowStart: rollup.windowStart }, 'line rollup not published'));
      }
    },
  });
}
