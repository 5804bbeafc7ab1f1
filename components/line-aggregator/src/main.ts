import { parseArgs } from 'node:util';
import { clockFromEnv, createLogger, PcfError, runMain, untilSignal } from '@pcf-edge/core';
import { isGreengrass } from '@pcf-edge/greengrass-ipc';
import { openStore } from '@pcf-edge/store';
import { createLineAggregator } from './aggregator';
import { loadAggregatorConfig } from './config';
import { runUnderGreengrass } from './greengrass';

const HELP = `com.pcfedge.LineAggregator — turns readings in the gateway store into per-meter, per-line and
per-site rollups and queues them for export.

Usage:
  npm run line-aggregator -- --config <file> [--store <sqlite file>] [--once]

Options:
  --config <file>   aggregator config, JSON or YAML (schema: components/line-aggregator/config.schema.json)
  --store <file>    gateway store SQLite file (default: env PCF_EDGE_STORE)
  --once            apply every reading waiting in the store, then exit (backfill, tests)
  --help            this text

Exit codes: 0 ok, 2 bad command line or config, 1 failure.
Under Greengrass (IPC socket in the environment, no --config) the configuration comes from the nucleus
(docs/deploy.md).`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        store: { type: 'string' },
        once: { type: 'boolean' },
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
  if (!args.config && !args.once && isGreengrass()) return runUnderGreengrass(args.store);
  if (!args.config) throw new PcfError('ERR_USAGE', `--config is required\n\n${HELP}`);
  const storePath = args.store ?? process.env.PCF_EDGE_STORE;
  if (!storePath) throw new PcfError('ERR_USAGE', `--store or env PCF_EDGE_STORE is required\n\n${HELP}`);
  const config = loadAggregatorConfig(args.config);
  const log = createLogger({ component: 'line-aggregator' });
  const store = openStore(storePath, { log });
  let aggregator;
  try {
    aggregator = createLineAggregator(config, { store, clock: clockFromEnv(), log, configSource: args.config });
  } catch (err) {
    store.close();
    throw err;
  }
  if (args.once) {
    const applied = aggregator.drain();
    log.info({ applied, cursor: aggregator.progress().cursor }, 'caught up');
    store.close();
    return 0;
  }
  aggregator.start();
  log.info({ site: config.site, windows: config.windows, meters: config.meters.length }, 'line aggregator started');
  await untilSignal();
  aggregator.stop();
  store.close();
  log.info({ cursor: aggregator.progress().cursor }, 'line aggregator stopped');
  return 0;
}

runMain(main);
