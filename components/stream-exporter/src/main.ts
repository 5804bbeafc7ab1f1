import { parseArgs } from 'node:util';
import { clockFromEnv, createLogger, PcfError, runMain, untilSignal } from '@pcf-edge/core';
import { isGreengrass } from '@pcf-edge/greengrass-ipc';
import { openStore } from '@pcf-edge/store';
import { EXPORTER_MMAP_BYTES } from './bodies';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import { loadExporterConfig } from './config';
import { createStreamExporter } from './exporter';
import { runUnderGreengrass } from './greengrass';
import { createKinesisSink, createStreamManagerSink, kinesisClientFor } from './sinks';

const HELP = `com.pcfedge.StreamExporter — drains the gateway store's outbox into Stream Manager (or Kinesis).

Usage:
  npm run stream-exporter -- --config <file> [--store <sqlite file>]

Options:
  --config <file>   exporter config, JSON or YAML (schema: components/stream-exporter/config.schema.json)
  --store <file>    gateway store SQLite file (default .pcf-edge/gateway.sqlite)
  --help            this text

Rows are marked sent only after Stream Manager (or Kinesis) acknowledged them. Exit code 2 on a bad command
line or config.
Under Greengrass (IPC socket in the environment, no --config) the configuration comes from the nucleus
(docs/deploy.md).`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { config: { type: 'string' }, store: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${(err as Error).message}\n\n${HELP}`);
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!args.config && isGreengrass()) return runUnderGreengrass(args.store);
  if (!args.config) throw new PcfError('ERR_USAGE', `--config is required\n\n${HELP}`);
  const log = createLogger({ component: 'stream-exporter' });
  const config = loadExporterConfig(args.config, log);
  const store = openStore(args.store ?? '.pcf-edge/gateway.sqlite', { log, mmapBytes: EXPORTER_MMAP_BYTES });
  const sink =
    config.target === 'kinesis'
      ? createKinesisSink(config, kinesisClientFor(config))
      : createStreamManagerSink(
          config,
          createStreamManagerClient({ ...config.streamManager }, { log: log.child({ stage: 'client' }) }),
        );
  const exporter = createStreamExporter(config, { store, sink, clock: clockFromEnv(), log });
  exporter.start();
  log.info(
    { target: config.target, stream: config.streamName, kinesisStream: config.kinesisStreamName },
    'stream exporter started',
  );
  await untilSignal();
  await exporter.stop();
  sink.close();
  store.close();
  log.info({ status: exporter.status() }, 'stream exporter stopped');
  return 0;
}

runMain(main);
