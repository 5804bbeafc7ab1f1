import { createLogger, type Logger, systemClock } from '@pcf-edge/core';
import { type GreengrassAdapter, runGreengrassApp } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore, siteModelCheck } from '@pcf-edge/store';
import type { AggregatorConfig } from './config';
import { type AggregatorStore, createLineAggregator, type LineAggregator } from './aggregator';
import { healthMessage, type HealthPublisher, startHealthPublisher } from './greengrass-health';
import { publishingStore } from './greengrass-publish';
import {
  aggregatorConfigOf,
  COMPONENT_NAME,
  type GreengrassConfig,
  greengrassSchema,
  problemsOf,
} from './greengrass-config';
import { siteClaimsOf } from './site-claims';

const SOURCE = `Greengrass configuration of ${COMPONENT_NAME}`;

/**
 * Runs the aggregator under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus; a
 * live-safe change stops the aggregator between batches and starts a new one on the same store (its progress
 * and anchors are in the store); restart-only changes exit RESTART_EXIT_CODE (ADR 0070). With a
 * `lineRollupTopic`, every committed per-line rollup is also published there (best effort). Every
 * `healthPublishIntervalMs` the gateway's health goes to pcf-edge/health (ADR 0203).
 */
export function runUnderGreengrass(
  storeArg: string | undefined,
  log: Logger = createLogger({ component: 'line-aggregator' }),
): Promise<number> {
  const createAggregator = (config: Readonly<AggregatorConfig>, view: AggregatorStore): LineAggregator =>
    createLineAggregator(config, { store: view, clock: systemClock, log, configSource: SOURCE });
  type App = { store: GatewayStore; view: AggregatorStore; aggregator: LineAggregator; health: HealthPublisher };
  const healthFor = (config: Readonly<GreengrassConfig>, store: GatewayStore, greengrass: GreengrassAdapter) =>
    startHealthPublisher({
      intervalMs: config.healthPublishIntervalMs,
      message: () =>
        healthMessage(store, Date.now(), { component: COMPONENT_NAME, site: config.site, gatewayId: config.gatewayId }),
      publish: (topic, message) => greengrass.publish(topic, message),
      log,
    });
  return runGreengrassApp<GreengrassConfig, App & { greengrass: GreengrassAdapter }>({
    schema: greengrassSchema,
    componentName: COMPONENT_NAME,
    log,
    // A proposed configuration is also checked against the other components' site-model claims in the store.
    check: siteModelCheck({
      component: COMPONENT_NAME,
      source: SOURCE,
      storeArg,
      problemsOf,
      claimsOf: (config: GreengrassConfig) => siteClaimsOf(aggregatorConfigOf(config)),
    }),
    storeArg,
    start: (config, storePath, greengrass) => {
      const own = aggregatorConfigOf(config);
      const store = openStore(storePath, { log });
      const topic = config.lineRollupTopic;
      const view = topic ? publishingStore(store, (rollup) => greengrass.publish(topic, rollup), log) : store;
      log.info({ lineRollupTopic: topic || undefined, meters: own.meters.length }, 'line aggregator starting');
      const aggregator = createAggregator(own, view);
      aggregator.start();
      return { store, view, aggregator, health: healthFor(config, store, greengrass), greengrass };
    },
    apply: (app, config) => {
      const own = aggregatorConfigOf(config);
      // Created (and its site-model claims published) before the running one stops: a contradiction keeps it.
      const next = createAggregator(own, app.view);
      app.aggregator.stop();
      app.aggregator = next;
      next.start();
      app.health.stop();
      app.health = healthFor(config, app.store, app.greengrass);
      log.info({ meters: own.meters.length }, 'line aggregator reconfigured');
    },
    stop: (app) => {
      app.health.stop();
      app.aggregator.stop();
      app.store.close();
    },
    summary: (app) => ({ cursor: app.aggregator.progress().cursor }),
  });
}
