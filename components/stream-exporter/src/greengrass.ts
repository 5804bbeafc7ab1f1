import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createLogger, type Logger, systemClock } from '@pcf-edge/core';
import { type GreengrassAdapter, RESTART_EXIT_CODE, runWithConfig } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore } from '@pcf-edge/store';
import { EXPORTER_MMAP_BYTES } from './bodies';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import type { StreamExporterConfig } from './config';
import { createStreamExporter, type StreamExporter } from './exporter';
import { createKinesisSink, createStreamManagerSink, kinesisClientFor, type RecordSink } from './sinks';
import { COMPONENT_NAME, exporterConfigOf, type GreengrassConfig, greengrassSchema, problemsOf } from './greengrass-config';

/** Stream Manager's port: the configuration's, else the one Stream Manager was deployed with (IPC). */
async function sinkFor(config: Readonly<StreamExporterConfig>, greengrass: GreengrassAdapter, log: Logger): Promise<RecordSink> {
  if (config.target === 'kinesis') return createKinesisSink(config, kinesisClientFor(config));
  const port = config.streamManager.port ?? await greengrass.streamManagerPort();
  log.info({ host: config.streamManager.host, port }, 'stream manager endpoint');
  return createStreamManagerSink(config, createStreamManagerClient({ ...config.streamManager, port }, { log: log.child({ stage: 'client' }) }));
}

/**
 * Runs the exporter under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus; a
 * live-safe change stops the exporter (in-flight appends finish) and starts a new one on the same sink and store
 * (the outbox is the state); restart-only changes exit RESTART_EXIT_CODE (ADR 0070).
 */
export async function runUnderGreengrass(storeArg: string | undefined, log: Logger = createLogger({ component: 'stream-exporter' })): Promise<number> {
  let current: Readonly<StreamExporterConfig> | undefined;
  let app: { store: GatewayStore; sink: RecordSink; exporter: StreamExporter } | undefined;
  const startExporter = (config: Readonly<StreamExporterConfig>, store: GatewayStore, sink: RecordSink): StreamExporter => {
    const exporter = createStreamExporter(config, { store, sink, clock: systemClock, log });
    exporter.start();
    return exporter;
  };
  const shutdown = async (): Promise<void> => {
    const running = app;
    app = undefined;
    if (!running) return;
    await running.exporter.stop();
    running.sink.close();
    running.store.close();
  };
  const runner = await runWithConfig<GreengrassConfig>({
    schema: greengrassSchema, componentName: COMPONENT_NAME, log, check: problemsOf,
    onConfig: async (config) => {
      current = exporterConfigOf(config);
      if (!app) return;
      await app.exporter.stop();
      app.exporter = startExporter(current, app.store, app.sink);
      log.info('stream exporter reconfigured');
    },
    requestRestart: (reason) => {
      log.warn({ reason, exitCode: RESTART_EXIT_CODE }, 'exiting so that Greengrass restarts the component');
      void shutdown().finally(() => process.exit(RESTART_EXIT_CODE));
    },
  });
  const greengrass = runner.greengrass as GreengrassAdapter;
  const config = current as Readonly<StreamExporterConfig>;
  try {
    const storePath = storeArg ?? runner.config().storePath;
    mkdirSync(dirname(storePath), { recursive: true });
    const store = openStore(storePath, { log, mmapBytes: EXPORTER_MMAP_BYTES });
    const sink = await sinkFor(config, greengrass, log);
    app = { store, sink, exporter: startExporter(current ?? config, store, sink) };
    log.info({ storePath, target: config.target, stream: config.streamName, kinesisStream: config.kinesisStreamName }, 'stream exporter started under Greengrass');
  } catch (err) {
    await greengrass.updateState('ERRORED').catch((e: unknown) => log.warn({ err: e }, 'could not report ERRORED'));
    await runner.stop();
    throw err;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await runner.stop();
  const status = app?.exporter.status();
  await shutdown();
  log.info({ status }, 'stream exporter stopped');
  return 0;
}
