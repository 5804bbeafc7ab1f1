import { createLogger, type Logger, systemClock } from '@pcf-edge/core';
import { runGreengrassApp } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore } from '@pcf-edge/store';
import type { AggregatorConfig } from './config';
import { type AggregatorStore, createLineAggregator, type LineAggregator } from './aggregator';
import { publishingStore } from './greengrass-publish';
import {
  aggregatorConfigOf,
  COMPONENT_NAME,
  type GreengrassConfig,
  greengrassSchema,
  problemsOf,
} from './greengrass-config';

/**
 * Runs the aggregator under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus; a
 * live-safe change stops the aggregator between batches and starts a new one on the same store (its progress
 * and anchors are in the store); restart-only changes exit RESTART_EXIT_CODE (ADR 0070). With a
 * `lineRollupTopic`, every committed per-line rollup is also published there (best effort).
 */
export function runUnderGreengrass(
  storeArg: string | undefined,
  log: Logger = createLogger({ component: 'line-aggregator' }),
): Promise<number> {
  const startAggregator = (config: Readonly<AggregatorConfig>, view: AggregatorStore): LineAggregator => {
    const aggregator = createLineAggregator(config, { store: view, clock: systemClock, log });
    aggregator.start();
    return aggregator;
  };
  return runGreengrassApp<GreengrassConfig, { store: GatewayStore; view: AggregatorStore; aggregator: LineAggregator }>(
    {
      schema: greengrassSchema,
      componentName: COMPONENT_NAME,
      log,
      check: problemsOf,
      storeArg,
      start: (config, storePath, greengrass) => {
        const own = aggregatorConfigOf(config);
        const store = openStore(storePath, { log });
        const topic = config.lineRollupTopic;
        const view = topic ? publishingStore(store, (rollup) => greengrass.publish(topic, rollup), log) : store;
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
    },
  );
}
