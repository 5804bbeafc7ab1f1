import { createLogger, type Logger } from '@pcf-edge/core';
import { runGreengrassApp } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore, siteModelCheck } from '@pcf-edge/store';
import { createModbusCollector, type ModbusCollector } from './collector';
import {
  collectorConfigOf,
  COMPONENT_NAME,
  type GreengrassConfig,
  greengrassSchema,
  problemsOf,
} from './greengrass-config';
import { siteClaimsOf } from './site-claims';
import { collectStartupGarbage } from './startup-gc';

const SOURCE = `Greengrass configuration of ${COMPONENT_NAME}`;

/**
 * Runs the collector under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus,
 * live changes through `collector.reload`, restart-only changes exit RESTART_EXIT_CODE (ADR 0070).
 * `storeArg` is the `--store` the recipe passes; the configuration's `storePath` when absent.
 */
export function runUnderGreengrass(
  storeArg: string | undefined,
  log: Logger = createLogger({ component: 'modbus-collector' }),
): Promise<number> {
  return runGreengrassApp<GreengrassConfig, { store: GatewayStore; collector: ModbusCollector }>({
    schema: greengrassSchema,
    componentName: COMPONENT_NAME,
    log,
    // A proposed configuration is also checked against the other components' site-model claims in the store.
    check: siteModelCheck({
      component: COMPONENT_NAME,
      source: SOURCE,
      storeArg,
      problemsOf,
      claimsOf: (config: GreengrassConfig) => siteClaimsOf(collectorConfigOf(config)),
    }),
    storeArg,
    start: (config, storePath) => {
      const own = collectorConfigOf(config);
      const store = openStore(storePath);
      const collector = createModbusCollector(own, { store, log, siteModel: store, configSource: SOURCE });
      collector.start();
      collectStartupGarbage();
      log.info({ meters: own.meters.length, devices: own.devices.length }, 'modbus collector polling');
      return { store, collector };
    },
    apply: async (app, config) => {
      await app.collector.reload(collectorConfigOf(config));
      collectStartupGarbage();
    },
    stop: async (app) => {
      await app.collector.stop();
      app.store.close();
    },
    summary: (app) => ({ stats: app.collector.stats() }),
  });
}
