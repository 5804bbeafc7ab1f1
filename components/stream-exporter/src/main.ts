import { parseArgs } from 'node:util';
import {
  batchSigner,
  clockFromEnv,
  createLogger,
  PcfError,
  publicGatewayKey,
  runMain,
  untilSignal,
} from '@pcf-edge/core';
import { isGreengrass } from '@pcf-edge/greengrass-ipc';
import { openStore } from '@pcf-edge/store';
import { EXPORTER_MMAP_BYTES } from './bodies';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import { loadExporterConfig } from './config';
import { createStreamExporter } from './exporter';
import { runUnderGreengrass } from './greengrass';
import { defaultKeyFile, loadOrCreateGatewayKey, writeNewGatewayKey } from './signing-key';
import { createKinesisSink, createStreamManagerSink, kinesisClientFor } from './sinks';

const HELP = `com.pcfedge.StreamExporter — drains the gateway store's outbox into Stream Manager (or Kinesis).

Usage:
  npm run stream-exporter -- --config <file> [--store <sqlite file>]
  npm run stream-exporter -- --new-signing-key <file>

Options:
  --config <file>            exporter config, JSON or YAML (schema: components/stream-exporter/config.schema.json)
  --store <file>             gateway store SQLite file (default .pcf-edge/gateway.sqlite)
  --new-signing-key <file>   write a new gateway signing key to <file> (never over an existing one), print its
                             public key for \`cloud-sink gateways register\`, and exit (key rotation, see README)
  --help                     this text

Every batch is signed with the gateway key (signing.keyFile, created on first start beside the store, or
signing.secretId under Greengrass); its public key is logged at start.

Rows are marked sent only after Stream Manager (or Kinesis) acknowledged them. Exit code 2 on a bad command
line or config.
Under Greengrass (IPC socket in the environment, no --config) the configuration comes from the nucleus
(docs/deploy.md).`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        store: { type: 'string' },
        'new-signing-key': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${(err as Error).message}\n\n${HELP}`);
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (args['new-signing-key']) {
    const key = writeNewGatewayKey(args['new-signing-key']);
    process.stdout.write(`${JSON.stringify(publicGatewayKey(key))}\n`);
    return 0;
  }
  if (!args.config && isGreengrass()) return runUnderGreengrass(args.store);
  if (!args.config) throw new PcfError('ERR_USAGE', `--config is required\n\n${HELP}`);
  const log = createLogger({ component: 'stream-exporter' });
  const config = loadExporterConfig(args.config, log);
  const storePath = args.store ?? '.pcf-edge/gateway.sqlite';
  if (config.signing.secretId)
    throw new PcfError('ERR_USAGE', 'signing.secretId needs Greengrass (IPC); use signing.keyFile');
  const signer = batchSigner(loadOrCreateGatewayKey(config.signing.keyFile ?? defaultKeyFile(storePath), log));
  const store = openStore(storePath, { log, mmapBytes: EXPORTER_MMAP_BYTES });
  const sink =
    config.target === 'kinesis'
      ? createKinesisSink(config, kinesisClientFor(config))
      : createStreamManagerSink(
          config,
          createStreamManagerClient({ ...config.streamManager }, { log: log.child({ stage: 'client' }) }),
        );
  let exporter;
  try {
    exporter = createStreamExporter(config, {
      store,
      sink,
      clock: clockFromEnv(),
      log,
      signer,
      configSource: args.config,
    });
  } catch (err) {
    sink.close();
    store.close();
    throw err;
  }
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
