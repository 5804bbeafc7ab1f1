import { isPcfError, PcfError, type Logger } from '@pcf-edge/core';
import { PcfService } from '../service/pcf-service';
import { describeStore, migrateStore, openRepository, storeLocation, type StoreLocation } from '../store/open';
import { HELP, parse, type Options } from './args';
import {
  isSecurityGroup,
  parseSecurityArgs,
  SECURITY_HELP,
  securityCommand,
  type SecurityGroup,
} from './security-commands';
import {
  auditCommand,
  COMMAND_OPTIONS,
  consumeCommand,
  importCommand,
  importDemoCommand,
  pcfCommand,
  resultsCommand,
  type CliContext,
} from './commands';
import { staleResultsCommand } from './revision-commands';
import { replayCommand } from './archive-commands';
import { recomputeAnyCommand } from './period-command';
import type { RawArchive } from '../archive/archive';
import { openArchive } from '../archive/open';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  log: Logger;
  onSignal: CliContext['onSignal'];
  /** Where PCF_EDGE_DATABASE_URL / PCF_EDGE_DATABASE_SCHEMA are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Progress output (stderr): `tty` draws a bar redrawn in place by `write`; otherwise progress is logged as lines. */
  progress?: { tty: boolean; write: (text: string) => void };
}

/** Runs one CLI invocation; returns the exit code (0 ok, 1 failure, 2 usage). Never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP.main);
    return command ? 0 : 2;
  }
  if (isSecurityGroup(command)) return runSecurity(command, rest, io);
  if (!(command in COMMAND_OPTIONS)) {
    io.err(`error ERR_USAGE: unknown command '${command}'\n\n${HELP.main}`);
    return 2;
  }
  const name = command as keyof typeof COMMAND_OPTIONS;
  let repo: CliContext['repo'] | undefined;
  try {
    const { values, positionals } = parse(name, rest, COMMAND_OPTIONS[name] as Options);
    if (values.help) {
      io.out(HELP[name]);
      return 0;
    }
    const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
    const where = storeOf(values, io);
    if (name === 'migrate') {
      const applied = await migrateStore(where);
      for (const m of applied) io.out(`applied migration ${m.version}: ${m.name}`);
      io.out(
        `${describeStore(where)}: ${applied.length === 0 ? 'schema already current' : `${applied.length} migrations applied`}`,
      );
      return 0;
    }
    repo = await openRepository(where);
    const archiveArgs = { archive: str('archive'), s3Endpoint: str('s3-endpoint') };
    let archive: RawArchive | undefined;
    const ctx: CliContext = {
      repo,
      pcf: new PcfService(repo),
      out: io.out,
      err: io.err,
      progress: io.progress ?? { tty: false, write: (text) => io.err(text) },
      log: io.log,
      onSignal: io.onSignal,
      archive: () => (archive ??= openArchive(archiveArgs, where, io.env ?? process.env)),
    };
    const handlers: Record<Exclude<typeof name, 'migrate'>, () => Promise<number>> = {
      import: () => importCommand(ctx, positionals),
      'import-demo': () => importDemoCommand(ctx, values),
      pcf: () => pcfCommand(ctx, values),
      results: () => {
        if (values.json && !values.stale)
          throw new PcfError('ERR_USAGE', 'results: --json lists stale results only: add --stale');
        return values.stale ? staleResultsCommand(ctx, values) : resultsCommand(ctx);
      },
      recompute: () => recomputeAnyCommand(ctx, values),
      replay: () => replayCommand(ctx, values),
      audit: () => auditCommand(ctx, positionals),
      consume: () => consumeCommand(ctx, values),
    };
    return await handlers[name]();
  } catch (err) {
    return reportError(err, io);
  } finally {
    await repo?.close();
  }
}

/** clients, grants, gateways, keys, deliveries: the admin commands (security-commands.ts). */
async function runSecurity(group: SecurityGroup, argv: string[], io: CliIo): Promise<number> {
  let repo: CliContext['repo'] | undefined;
  try {
    const { values, positionals } = parseSecurityArgs(group, argv);
    if (values.help) {
      io.out(SECURITY_HELP[group]);
      return 0;
    }
    repo = await openRepository(storeOf(values, io));
    return await securityCommand(repo, group, positionals, values, io.out);
  } catch (err) {
    return reportError(err, io);
  } finally {
    await repo?.close();
  }
}

type Values = Record<string, string | boolean | undefined>;

/** The store a command names: --db, --database-url/--db-schema or their environment variables (store/open.ts). */
function storeOf(values: Values, io: CliIo): StoreLocation {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  return storeLocation(
    { db: str('db'), databaseUrl: str('database-url'), dbSchema: str('db-schema') },
    io.env ?? process.env,
  );
}

/** Prints a failure and returns its exit code: 2 for a usage error, 1 for any other. */
function reportError(err: unknown, io: CliIo): number {
  if (isPcfError(err)) {
    io.err(`error ${err.code}: ${err.message}`);
    return err.code === 'ERR_USAGE' ? 2 : 1;
  }
  io.err(`error: ${(err as Error).stack ?? String(err)}`);
  return 1;
}
