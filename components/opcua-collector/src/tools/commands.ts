import { parseArgs, type ParseArgsConfig } from 'node:util';
import { exitCodeOf, isPcfError, PcfError } from '@pcf-edge/core';
import { loadOpcUaConfig, validateOpcUaConfig, type EndpointConfig, type OpcUaCollectorConfig } from '../config';
import { browse, formatBrowse } from './browse';
import { openToolSession, routeOpcUaDiagnostics } from './session';
import { acceptCertificate, formatCertificates, listCertificates, rejectCertificate } from './trust';

export const BROWSE_HELP = `opcua-collector browse — lists the nodes of an OPC UA server with their ids, data types and current values.

Usage:
  opcua-collector browse --endpoint <opc.tcp://host:port[/path]> [options]
  opcua-collector browse --config <file> [--endpoint <endpoint id>] [options]

Options:
  --endpoint <url|id>        the server to browse; with --config, the id of one of its endpoints (its security
                             settings, pkiDir and user apply; default: its only endpoint)
  --config <file>            collector configuration (JSON or YAML) to take the endpoint from
  --path <path|node id>      where to start: browse names below the Objects folder, '/'-separated
                             (e.g. Meters/line1-main), or a node id (ns=2;s=Meters, nsu=<uri>;s=…, i=85);
                             default: the Objects folder
  --depth <n>                levels to list below the start node, 1..10 (default 1)
  --json                     print JSON instead of a table
  --security-mode <mode>     None | Sign | SignAndEncrypt (default None; not with --config)
  --security-policy <name>   None | Basic256Sha256 | Aes128_Sha256_RsaOaep | Aes256_Sha256_RsaPss | … (default None)
  --pki-dir <dir>            PKI folder with the client certificate and trust lists (default ./pki); use the
                             collector's, so a server trusted once is trusted for both
  --verbose                  node-opcua's own diagnostics on stderr
  --help                     this text

Node ids print as nsu=<namespace uri>;s=<id>: paste them into a point's nodeId. A server certificate not yet
trusted is refused and put in <pki-dir>/rejected; the error says how to accept it (opcua-collector trust --help).
Exit codes: 0 ok, 1 the server could not be browsed, 2 bad command line or configuration.`;

export const TRUST_HELP = `opcua-collector trust — lists and moves the certificates in a collector's PKI folder.

Usage:
  opcua-collector trust (--pki-dir <dir> | --config <file> [--endpoint <id>]) --list [--json]
  opcua-collector trust (--pki-dir <dir> | --config <file> [--endpoint <id>]) --accept <thumbprint>
  opcua-collector trust (--pki-dir <dir> | --config <file> [--endpoint <id>]) --reject <thumbprint>

Options:
  --pki-dir <dir>            the endpoint's pkiDir (under Greengrass: /greengrass/v2/work/com.pcfedge.OpcUaCollector/pki
                             with the recipe's default ./pki)
  --config <file>            take pkiDir from this collector configuration (of --endpoint <id>, default: its only
                             endpoint)
  --list                     the client certificate (own: trust it on the servers), trusted and rejected server
                             certificates, with their SHA-1 thumbprints
  --accept <thumbprint>      move a rejected server certificate to the trusted ones (a unique prefix of 8 or
                             more hex digits will do); a running collector uses it at its next connect
  --reject <thumbprint>      move a trusted server certificate back to the rejected ones
  --json                     with --list: print JSON
  --help                     this text

Exit codes: 0 ok, 1 no such certificate or PKI folder, 2 bad command line.`;

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], options: ParseArgsConfig['options'], help: string): Values {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${(err as Error).message} (see --help)\n\n${help}`);
  }
}

const OPTION_OF_PATH: Record<string, string> = {
  '/endpoints/0/url': '--endpoint',
  '/endpoints/0/securityMode': '--security-mode',
  '/endpoints/0/securityPolicy': '--security-policy',
  '/endpoints/0/pkiDir': '--pki-dir',
};

/** An endpoint given on the command line, checked by the collector's own schema (errors name the options). */
function endpointFromOptions(v: Values): EndpointConfig {
  const endpoint = {
    id: 'command-line',
    url: v.endpoint,
    securityMode: v['security-mode'] ?? 'None',
    securityPolicy: v['security-policy'] ?? 'None',
    pkiDir: v['pki-dir'] ?? './pki',
  };
  try {
    return validateOpcUaConfig({ site: 'browse', endpoints: [endpoint], meters: [] }, 'the command line')
      .endpoints[0] as EndpointConfig;
  } catch (err) {
    if (!isPcfError(err, 'ERR_CONFIG_INVALID')) throw err;
    const errors = (err.details.errors as string[]).map((e) =>
      Object.entries(OPTION_OF_PATH).reduce((s, [path, option]) => s.replace(path, option), e),
    );
    throw new PcfError('ERR_USAGE', `invalid options:\n  ${errors.join('\n  ')}`, { errors });
  }
}

/** The endpoint of a configuration file: the one named, else the only one. */
function endpointFromConfig(
  config: Readonly<OpcUaCollectorConfig>,
  file: string,
  id: string | undefined,
): EndpointConfig {
  const ids = config.endpoints.map((e) => e.id).join(', ');
  if (id === undefined) {
    if (config.endpoints.length === 1) return config.endpoints[0] as EndpointConfig;
    throw new PcfError(
      'ERR_USAGE',
      `${file} has ${config.endpoints.length} endpoints: choose one with --endpoint (${ids})`,
    );
  }
  const e = config.endpoints.find((x) => x.id === id);
  if (!e) throw new PcfError('ERR_USAGE', `--endpoint ${id}: no such endpoint in ${file} (there: ${ids})`);
  return e;
}

function endpointOf(v: Values): EndpointConfig {
  if (typeof v.config === 'string') {
    for (const o of ['security-mode', 'security-policy', 'pki-dir'])
      if (v[o] !== undefined)
        throw new PcfError('ERR_USAGE', `--${o} comes from the configuration when --config is given`);
    return endpointFromConfig(loadOpcUaConfig(v.config), v.config, v.endpoint as string | undefined);
  }
  if (v.endpoint === undefined)
    throw new PcfError('ERR_USAGE', `--endpoint <url> or --config <file> is required\n\n${BROWSE_HELP}`);
  return endpointFromOptions(v);
}

async function browseCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const v = parse(
    argv,
    {
      endpoint: { type: 'string' },
      config: { type: 'string' },
      path: { type: 'string' },
      depth: { type: 'string' },
      json: { type: 'boolean' },
      'security-mode': { type: 'string' },
      'security-policy': { type: 'string' },
      'pki-dir': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    BROWSE_HELP,
  );
  if (v.help === true) {
    out(BROWSE_HELP);
    return 0;
  }
  const depth = v.depth === undefined ? 1 : Number(v.depth);
  if (!Number.isInteger(depth) || depth < 1 || depth > 10)
    throw new PcfError('ERR_USAGE', `--depth must be an integer 1..10, got '${String(v.depth)}'`);
  const endpoint = endpointOf(v);
  routeOpcUaDiagnostics(v.verbose === true);
  const tool = await openToolSession(endpoint);
  try {
    const opts = typeof v.path === 'string' ? { path: v.path, depth } : { depth };
    const report = await browse(tool.session, tool.namespaces, endpoint.url, opts);
    out(v.json === true ? JSON.stringify(report, null, 2) : formatBrowse(report));
  } finally {
    await tool.close();
  }
  return 0;
}

async function trustCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const v = parse(
    argv,
    {
      'pki-dir': { type: 'string' },
      config: { type: 'string' },
      endpoint: { type: 'string' },
      list: { type: 'boolean' },
      accept: { type: 'string' },
      reject: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    TRUST_HELP,
  );
  if (v.help === true) {
    out(TRUST_HELP);
    return 0;
  }
  const actions = ['list', 'accept', 'reject'].filter((a) => v[a] !== undefined);
  if (actions.length !== 1)
    throw new PcfError(
      'ERR_USAGE',
      `give exactly one of --list, --accept <thumbprint>, --reject <thumbprint>\n\n${TRUST_HELP}`,
    );
  if (v.json === true && v.list !== true) throw new PcfError('ERR_USAGE', '--json only applies with --list');
  let pkiDir: string;
  if (typeof v.config === 'string') {
    if (v['pki-dir'] !== undefined) throw new PcfError('ERR_USAGE', 'give --pki-dir or --config, not both');
    pkiDir = endpointFromConfig(loadOpcUaConfig(v.config), v.config, v.endpoint as string | undefined).pkiDir;
  } else if (typeof v['pki-dir'] === 'string') {
    if (v.endpoint !== undefined) throw new PcfError('ERR_USAGE', '--endpoint applies with --config only');
    pkiDir = v['pki-dir'];
  } else {
    throw new PcfError('ERR_USAGE', `--pki-dir <dir> or --config <file> is required\n\n${TRUST_HELP}`);
  }
  if (v.list === true) {
    const list = listCertificates(pkiDir);
    out(v.json === true ? JSON.stringify({ pkiDir, certificates: list }, null, 2) : formatCertificates(pkiDir, list));
    return 0;
  }
  const accept = typeof v.accept === 'string';
  const change = accept
    ? await acceptCertificate(pkiDir, v.accept as string)
    : await rejectCertificate(pkiDir, v.reject as string);
  const c = change.certificate;
  const where = accept ? 'trusted' : 'rejected';
  out(`${change.changed ? `${where}:` : `already ${where}:`} ${c.thumbprint}  ${c.subject}  ${c.file}`);
  return 0;
}

export interface ToolOutput {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: ToolOutput = {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
};

/** Runs `browse` or `trust`: output on `out`, an error as `CODE: message` on `err`; returns the exit code. */
export async function runTool(command: 'browse' | 'trust', argv: string[], io: ToolOutput = STDIO): Promise<number> {
  const out = (s: string): void => io.out(s);
  try {
    return command === 'browse' ? await browseCommand(argv, out) : await trustCommand(argv, out);
  } catch (err) {
    io.err(`${isPcfError(err) ? `${err.code}: ` : ''}${(err as Error).message}`);
    return exitCodeOf(err);
  }
}
