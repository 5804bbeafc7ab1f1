import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PcfError, parseDuration } from '@pcf-edge/core';
import { openStore, type GatewayStore } from '@pcf-edge/store';

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  store: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const PERIOD_OPTIONS = {
  since: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const STORE_HELP = `  --store <file>    gateway store (SQLite); default: env PCF_EDGE_STORE, else the one store in
                    <Greengrass root>/work/pcf-edge/ (root: env GGC_ROOT_PATH, else /greengrass/v2)`;
export const PERIOD_HELP = `  --since <dur>     period ending now, e.g. 90m, 24h, 7d (default 24h)
  --from <time>     period start, ISO-8601 (e.g. 2026-06-01T08:00Z); with --to instead of --since
  --to <time>       period end (exclusive), ISO-8601; default now`;

export function usage(message: string, help: string): PcfError {
  return new PcfError('ERR_USAGE', `${message}\n\n${help}`);
}

/** Parses argv strictly; an unknown option or a stray argument is a usage error naming it. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, help: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw usage((err as Error).message, help);
  }
}

function parseTime(text: string, option: string, help: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw usage(`--${option}: not an ISO-8601 time: ${JSON.stringify(text)}`, help);
  return ms;
}

export function duration(text: string, option: string, help: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw usage(`--${option}: not a duration: ${JSON.stringify(text)} (e.g. 30s, 15m, 24h, 7d)`, help);
  }
}

/** [fromMs, toMs) from --since or --from/--to; default the last 24 hours. */
export function period(
  v: { since?: string; from?: string; to?: string },
  now: number,
  help: string,
): { fromMs: number; toMs: number } {
  if (v.since !== undefined && (v.from !== undefined || v.to !== undefined))
    throw usage('--since cannot be combined with --from/--to', help);
  if (v.from !== undefined || v.to !== undefined) {
    const toMs = v.to === undefined ? now : parseTime(v.to, 'to', help);
    const fromMs = v.from === undefined ? toMs - 86_400_000 : parseTime(v.from, 'from', help);
    if (fromMs >= toMs) throw usage('--from must be before --to', help);
    return { fromMs, toMs };
  }
  return { fromMs: now - duration(v.since ?? '24h', 'since', help), toMs: now };
}

/** The Greengrass root of this gateway: env GGC_ROOT_PATH (as the Greengrass CLI reads it), else the default. */
export const greengrassRoot = (env: NodeJS.ProcessEnv): string => env.GGC_ROOT_PATH || '/greengrass/v2';

/**
 * The store file: `--store`, else env PCF_EDGE_STORE, else on a gateway the one `*.sqlite` in
 * `<Greengrass root>/work/pcf-edge/`, the only folder the recipes allow a store in (ADR 0201).
 */
export function storeFile(path: string | undefined, env: NodeJS.ProcessEnv, help: string): string {
  if (path !== undefined && path !== '') return path;
  if (env.PCF_EDGE_STORE) return env.PCF_EDGE_STORE;
  const dir = join(greengrassRoot(env), 'work', 'pcf-edge');
  let found: string[];
  try {
    found = readdirSync(dir).filter((f) => f.endsWith('.sqlite'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES')
      throw usage(`cannot read ${dir}: run as the components' user (sudo -u ggc_user …) or pass --store`, help);
    found = [];
  }
  if (found.length === 1) return join(dir, found[0] as string);
  if (found.length > 1) throw usage(`${dir} holds several stores (${found.join(', ')}): pass --store <file>`, help);
  throw usage(`no store: pass --store <file> or set PCF_EDGE_STORE (and none in ${dir})`, help);
}

/** Opens the store read-only; the CLI never writes. */
export function openReadOnly(
  path: string | undefined,
  help: string,
  env: NodeJS.ProcessEnv = process.env,
): GatewayStore {
  return openStore(storeFile(path, env, help), { readonly: true });
}
