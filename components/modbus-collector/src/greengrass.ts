import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createLogger, type Logger } from '@pcf-edge/core';
import { RESTART_EXIT_CODE, runWithConfig } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore } from '@pcf-edge/store';
import { createModbusCollector, type ModbusCollector } from './collector';
import { collectorConfigOf, COMPONENT_NAME, type GreengrassConfig, greengrassSchema, problemsOf } from './greengrass-config';

/**
 * Runs the collector under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus,
 * live changes through `collector.reload`, restart-only changes exit RESTART_EXIT_CODE (ADR 0070).
 * `storeArg` is the `--store` the recipe passes; the configuration's `storePath` when absent.
 */
export async function runUnderGreengrass(storeArg: string | undefined, log: Logger = createLogger({ component: 'modbus-collector' })): Promise<number> {
  let app: { store: GatewayStore; collector: ModbusCollector } | undefined;
  const shutdown = async (): Promise<void> => {
    const running = app;
    app = undefined;
    if (!running) return;
    await running.collector.stop();
    running.store.close();
  };
  const runner = await runWithConfig<GreengrassConfig>({
    schema: greengrassSchema, componentName: COMPONENT_NAME, log, check: problemsOf,
    onConfig: async (config) => {
      const own = collectorConfigOf(config);
      if (app) return app.collector.reload(own);
      const storePath = storeArg ?? config.storePath;
      mkdirSync(dirname(storePath), { recursive: true });
      const store = openStore(storePath);
      app = { store, collector: createModbusCollector(own, { store, log }) };
      app.collector.start();
      log.info({ storePath, meters: own.meters.length, devices: own.devices.length }, 'modbus collector started under Greengrass');
    },
    requestRestart: (reason) => {
      log.warn({ reason, exitCode: RESTART_EXIT_CODE }, 'exiting so that Greengrass restarts the component');
      void shutdown().finally(() => process.exit(RESTART_EXIT_CODE));
    },
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await runner.stop();
  const stats = app?.collector.stats();
  await shutdown();
  log.info({ stats }, 'modbus collector stopped');
  return 0;
}
