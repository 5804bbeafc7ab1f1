import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, type Logger, PcfError } from '@pcf-edge/core';
import { RESTART_EXIT_CODE, runWithConfig } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore, type ReadingWriter } from '@pcf-edge/store';
import { createOpcUaCollector, type OpcUaCollector } from './collector';
import { collectorConfigOf, COMPONENT_NAME, type GreengrassConfig, greengrassSchema, problemsOf } from './greengrass-config';

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
export async function runUnderGreengrass(storeArg: string | undefined, log: Logger = createLogger({ component: 'opcua-collector' })): Promise<number> {
  let app: { store: GatewayStore; writer: ReadingWriter; collector: OpcUaCollector } | undefined;
  const shutdown = async (): Promise<void> => {
    const running = app;
    app = undefined;
    if (!running) return;
    await running.collector.stop();
    running.writer.close();
    running.store.close();
  };
  const runner = await runWithConfig<GreengrassConfig>({
    schema: greengrassSchema, componentName: COMPONENT_NAME, log, check: problemsOf,
    onConfig: async (config) => {
      const own = collectorConfigOf(config);
      if (app) return app.collector.applyConfig(own);
      const storePath = storeArg ?? config.storePath;
      mkdirSync(dirname(storePath), { recursive: true });
      const store = openStore(storePath);
      const writer = store.createReadingWriter(own.batch);
      app = { store, writer, collector: createOpcUaCollector(own, { readings: writer, health: store, log }) };
      await app.collector.start();
      log.info({ storePath, endpoints: own.endpoints.length, meters: own.meters.length }, 'opcua collector started under Greengrass');
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
  log.info('stopping');
  await runner.stop();
  await shutdown();
  return 0;
}
