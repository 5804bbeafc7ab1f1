import { parseArgs } from 'node:util';
import { PcfError } from '@pcf-edge/core';

export const HELP = `com.pcfedge.OpcUaCollector — subscribes to / polls OPC UA meter nodes into the gateway store.

Usage:
  npm run opcua-collector -- --config <file> [--store <sqlite file>]
  npm run opcua-collector -- --config <file> --dry-run [--json]
  npm run opcua-collector -- browse --endpoint <url> [--path <path>] …     (browse --help)
  npm run opcua-collector -- trust --pki-dir <dir> --list | --accept <thumbprint>   (trust --help)
(on a gateway: node <artifacts>/opcua-collector/main.js … with the same arguments)

Options:
  --config <file>   collector configuration, JSON or YAML (schema: components/opcua-collector/config.schema.json)
  --store <file>    gateway store SQLite file (default: $PCF_EDGE_STORE or .pcf-edge/gateway.sqlite)
  --dry-run         connect to every endpoint, read every configured point once and print its status code, raw
                    value and decoded reading (value, unit, quality), then exit; nothing is written
  --json            with --dry-run: print the same as JSON
  --help            print this help

Commands:
  browse            list a server's nodes with their ids, data types and current values
  trust             list the PKI folder's certificates; accept (or reject) a server certificate

The config file is watched: a valid change applies live (endpoints whose settings or meters changed reconnect);
an invalid one is rejected with every bad path and the collector keeps its current configuration.
A bad configuration at start-up exits with status 2; SIGINT/SIGTERM flush the store and exit 0.
--dry-run exits 0 when every endpoint answered, 1 when one could not be reached.`;

export interface CliArgs {
  help: boolean;
  config?: string;
  store: string;
  dryRun: boolean;
  json: boolean;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  let values: { config?: string; store?: string; help?: boolean; 'dry-run'?: boolean; json?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        store: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${(err as Error).message} (see --help)`);
  }
  if (values.help === true) return { help: true, store: '', dryRun: false, json: false };
  if (values.config === undefined) throw new PcfError('ERR_USAGE', '--config <file> is required (see --help)');
  if (values.json === true && values['dry-run'] !== true)
    throw new PcfError('ERR_USAGE', '--json only applies with --dry-run');
  return {
    help: false,
    config: values.config,
    store: values.store ?? env.PCF_EDGE_STORE ?? '.pcf-edge/gateway.sqlite',
    dryRun: values['dry-run'] === true,
    json: values.json === true,
  };
}
