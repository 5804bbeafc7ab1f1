import { parseArgs } from 'node:util';
import { PcfError } from '@pcf-edge/core';

export const HELP = `com.pcfedge.OpcUaCollector — subscribes to / polls OPC UA meter nodes into the gateway store.

Usage:
  npm run opcua-collector -- --config <file> [--store <sqlite file>]

Options:
  --config <file>   collector configuration, JSON or YAML (schema: components/opcua-collector/config.schema.json)
  --store <file>    gateway store SQLite file (default: $PCF_EDGE_STORE or .pcf-edge/gateway.sqlite)
  --help            print this help

The config file is watched: a valid change applies live (endpoints whose settings or meters changed reconnect);
an invalid one is rejected with every bad path and the collector keeps its current configuration.
A bad configuration at start-up exits with status 2; SIGINT/SIGTERM flush the store and exit 0.`;

export interface CliArgs {
  help: boolean;
  config?: string;
  store: string;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  let values: { config?: string; store?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, store: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${(err as Error).message} (see --help)`);
  }
  if (values.help === true) return { help: true, store: '' };
  if (values.config === undefined) throw new PcfError('ERR_USAGE', '--config <file> is required (see --help)');
  return {
    help: false,
    config: values.config,
    store: values.store ?? env.PCF_EDGE_STORE ?? '.pcf-edge/gateway.sqlite',
  };
}
