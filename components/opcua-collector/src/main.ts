import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { clockFromEnv, createLogger, isPcfError, restartKeys, untilSignal, watchConfigFile } from '@pcf-edge/core';
import { isGreengrass } from '@pcf-edge/greengrass-ipc';
import { openStore } from '@pcf-edge/store';
import { HELP, parseCli } from './cli';
import { createOpcUaCollector } from './collector';
import { configSchema, loadOpcUaConfig } from './config';
import { runUnderGreengrass, storeArgOf } from './greengrass';
import { runTool } from './tools/commands';
import { dryRunOpcUa, formatDryRun } from './tools/dry-run';
import { routeOpcUaDiagnostics } from './tools/session';

async function main(): Promise<number> {
  const log = createLogger({ component: 'opcua-collector' });
  let args;
  let config;
  const argv = process.argv.slice(2);
  if (argv[0] === 'browse' || argv[0] === 'trust') return runTool(argv[0], argv.slice(1));
  if (isGreengrass() && !argv.some((a) => a === '--config' || a.startsWith('--config=') || a === '--help'))
    return runUnderGreengrass(storeArgOf(argv), log);
  try {
    args = parseCli(argv);
    if (args.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    config = loadOpcUaConfig(args.config as string, log);
  } catch (err) {
    process.stderr.write(`${isPcfError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    return 2;
  }
  if (args.dryRun) {
    routeOpcUaDiagnostics(false);
    const report = await dryRunOpcUa(config);
    process.stdout.write(`${args.json ? JSON.stringify(report, null, 2) : formatDryRun(report)}\n`);
    return report.endpoints.some((e) => e.error !== undefined) ? 1 : 0;
  }
  mkdirSync(dirname(args.store), { recursive: true });
  const store = openStore(args.store);
  const writer = store.createReadingWriter(config.batch);
  let current = config;
  const collector = createOpcUaCollector(config, {
    readings: writer,
    health: store,
    log,
    clock: clockFromEnv(),
    siteModel: store,
    configSource: args.config as string,
  });
  try {
    await collector.start();
  } catch (err) {
    writer.close();
    store.close();
    if (!isPcfError(err, 'ERR_CONFIG_INVALID')) throw err;
    process.stderr.write(`${err.code}: ${err.message}\n`);
    return 2;
  }
  const watcher = watchConfigFile({
    file: args.config as string,
    load: (file) => loadOpcUaConfig(file, log),
    current: () => current,
    apply: async (next) => {
      await collector.applyConfig(next);
      current = next;
    },
    restartKeys: restartKeys(configSchema),
    log,
  });
  await untilSignal();
  log.info('stopping');
  watcher.stop();
  await collector.stop();
  writer.close();
  store.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`opcua-collector failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
