import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  clockFromEnv,
  createLogger,
  PcfError,
  restartKeys,
  runMain,
  untilSignal,
  watchConfigFile,
} from '@pcf-edge/core';
// The environment check alone: the package's index loads the Greengrass IPC SDK and its native CRT (ADR 0227)
import { isGreengrass } from '@pcf-edge/greengrass-ipc/src/environment';
import { openStore } from '@pcf-edge/store';
import { createModbusCollector } from './collector';
import { configSchema, loadCollectorConfig } from './config';
import { dryRun, formatDryRun } from './dry-run';
import { collectStartupGarbage } from './startup-gc';
import type { runUnderGreengrass as RunUnderGreengrass } from './greengrass';

const HELP = `com.pcfedge.ModbusCollector — polls Modbus TCP and Modbus RTU meters (serial bus, or RTU over TCP)
into the gateway store.

Usage:
  npm run modbus-collector -- --config <file> [--store <sqlite file>]
  npm run modbus-collector -- --config <file> --dry-run [--json]

Options:
  --config <file>   collector config, JSON or YAML (schema: components/modbus-collector/config.schema.json)
  --store <file>    gateway store SQLite file (default: $PCF_EDGE_STORE or .pcf-edge/gateway.sqlite)
  --dry-run         connect (or open the serial port), print every planned request (unit, function, 0-based address, count) and one
                    decoded value per point with unit and quality, then exit
  --json            with --dry-run: print the same as JSON
  --help            this text

The config file is watched: a valid change is applied live; an invalid one is rejected (every bad path logged)
and the collector keeps its running config. Exit code 2 on a bad command line or config.
Under Greengrass (IPC socket in the environment, no --config) the configuration comes from the nucleus
(docs/deploy.md).`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        store: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
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
  if (!args.config && !args['dry-run'] && isGreengrass()) {
    // required here (bundled, run when called), so that a collector run from a config file does not load the IPC
    // SDK and its native CRT (ADR 0227)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const gg = require('./greengrass') as { runUnderGreengrass: typeof RunUnderGreengrass };
    return gg.runUnderGreengrass(args.store);
  }
  if (!args.config) throw new PcfError('ERR_USAGE', `--config is required\n\n${HELP}`);
  if (args.json && !args['dry-run']) throw new PcfError('ERR_USAGE', '--json only applies with --dry-run');
  const log = createLogger({ component: 'modbus-collector' });
  const config = loadCollectorConfig(args.config, log);
  const clock = clockFromEnv(); // simulated time when the local stack sets PCF_EDGE_SIM_CLOCK

  if (args['dry-run']) {
    const collector = createModbusCollector(config, { log, clock });
    const report = await dryRun(config, collector);
    await collector.stop();
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDryRun(report)}\n`);
    return 0;
  }

  const storePath = args.store ?? process.env.PCF_EDGE_STORE ?? '.pcf-edge/gateway.sqlite';
  mkdirSync(dirname(storePath), { recursive: true });
  const store = openStore(storePath);
  const collector = createModbusCollector(config, { store, log, clock, siteModel: store, configSource: args.config });
  collector.start();
  const watcher = watchConfigFile({
    file: args.config,
    load: (file) => loadCollectorConfig(file, log),
    current: () => collector.config(),
    apply: async (next) => {
      await collector.reload(next);
      collectStartupGarbage();
    },
    restartKeys: restartKeys(configSchema),
    log,
  });
  collectStartupGarbage();
  log.info({ meters: config.meters.length, devices: config.devices.length }, 'modbus collector started');
  await untilSignal();
  watcher.stop();
  await collector.stop();
  store.close();
  log.info({ stats: collector.stats() }, 'modbus collector stopped');
  return 0;
}

runMain(main);
