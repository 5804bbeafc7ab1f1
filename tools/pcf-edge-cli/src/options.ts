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

export const STORE_HELP = `  --store <file>    gateway store (SQLite); default: env PCF_EDGE_STORE`;
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

/** Opens the store read-only; the CLI never writes. */
export function openReadOnly(path: string | undefined, help: string): GatewayStore {
  const file = path ?? process.env.PCF_EDGE_STORE;
  if (file === undefined || file === '') throw usage('no store: pass --store <file> or set PCF_EDGE_STORE', help);
  return openStore(file, { readonly: true });
}
