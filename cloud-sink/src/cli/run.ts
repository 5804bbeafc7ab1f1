import { isPcfError, type Logger } from '@pcf-edge/core';
import { PcfService } from '../service/pcf-service';
import { openSqliteRepository } from '../store/sqlite';
import { DEFAULT_DB, HELP, parse, type Options } from './args';
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

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  log: Logger;
  onSignal: CliContext['onSignal'];
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
    repo = openSqliteRepository({ file: typeof values.db === 'string' ? values.db : DEFAULT_DB });
    const ctx: CliContext = { repo, pcf: new PcfService(repo), out: io.out, log: io.log, onSignal: io.onSignal };
    const handlers: Record<typeof name, () => Promise<number>> = {
      import: () => importCommand(ctx, positionals),
      'import-demo': () => importDemoCommand(ctx, values),
      pcf: () => pcfCommand(ctx, values),
      results: () => resultsCommand(ctx),
      audit: () => auditCommand(ctx, positionals),
      consume: () => consumeCommand(ctx, values),
    };
    return await handlers[name]();
  } catch (err) {
    if (isPcfError(err)) {
      io.err(`error ${err.code}: ${err.message}`);
      return err.code === 'ERR_USAGE' ? 2 : 1;
    }
    io.err(`error: ${(err as Error).stack ?? String(err)}`);
    return 1;
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
    repo = openSqliteRepository({ file: typeof values.db === 'string' ? values.db : DEFAULT_DB });
    return await securityCommand(repo, group, positionals, values, io.out);
  } catch (err) {
    if (isPcfError(err)) {
      io.err(`error ${err.code}: ${err.message}`);
      return err.code === 'ERR_USAGE' ? 2 : 1;
    }
    io.err(`error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    await repo?.close();
  }
}
