import { parseArgs } from 'node:util';
import { createLogger, type Logger, PcfError } from '@pcf-edge/core';
import { type GreengrassAdapter, runGreengrassApp } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore, siteModelCheck, type ReadingWriter } from '@pcf-edge/store';
import { createOpcUaCollector, type OpcUaCollector } from './collector';
import { withSecretPasswords } from './secrets';
import {
  collectorConfigOf,
  COMPONENT_NAME,
  type GreengrassConfig,
  greengrassSchema,
  problemsOf,
} from './greengrass-config';
import { siteClaimsOf } from './site-claims';

const SOURCE = `Greengrass configuration of ${COMPONENT_NAME}`;

/** The `--store` the recipe passes on the Run command line (the only option under Greengrass). */
export function storeArgOf(argv: string[]): string | undefined {
  try {
    return parseArgs({ args: argv, options: { store: { type: 'string' } }, strict: true }).values.store;
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${(err as Error).message} (under Greengrass only --store is accepted)`);
  }
}

/**
 * Runs the collector under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus,
 * live changes through `collector.applyConfig`, restart-only changes exit RESTART_EXIT_CODE (ADR 0070).
 * `storeArg` is the `--store` the recipe passes; the configuration's `storePath` when absent.
 */
export function runUnderGreengrass(
  storeArg: string | undefined,
  log: Logger = createLogger({ component: 'opcua-collector' }),
): Promise<number> {
  type App = { store: GatewayStore; writer: ReadingWriter; collector: OpcUaCollector; greengrass: GreengrassAdapter };
  return runGreengrassApp<GreengrassConfig, App>({
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
    start: async (config, storePath, greengrass) => {
      // Passwords are read before anything opens: a secret that cannot be read stops the start.
      const own = await withSecretPasswords(collectorConfigOf(config), greengrass);
      const store = openStore(storePath);
      const writer = store.createReadingWriter(own.batch);
      const collector = createOpcUaCollector(own, {
        readings: writer,
        health: store,
        log,
        siteModel: store,
        configSource: SOURCE,
      });
      await collector.start();
      log.info({ endpoints: own.endpoints.length, meters: own.meters.length }, 'opcua collector subscribed');
      return { store, writer, collector, greengrass };
    },
    apply: async (app, config) =>
      app.collector.applyConfig(await withSecretPasswords(collectorConfigOf(config), app.greengrass)),
    // the stop line carries the collector's counts, as the Modbus collector's does
    summary: (app) => ({ stats: app.collector.stats() }),
    stop: async (app) => {
      await app.collector.stop();
      app.writer.close();
      app.store.close();
    },
  });
}
