import { isPcfError } from '@pcf-edge/core';
import { EVENTS_HELP, runEvents } from './events-command';
import { LINES_HELP, runLines } from './lines-command';
import { ROLLUPS_HELP, runRollups } from './rollups-command';
import { prepareStatus, STATUS_HELP, UNHEALTHY_EXIT_CODE } from './status-command';

export const MAIN_HELP = `pcf-edge — the gateway CLI (reads the gateway store, never writes it)

Usage: pcf-edge <command> [options]

Commands:
  rollups   line energy per window: kWh, gas, units, kWh per unit, coverage, flags
  lines     one row per line over a period
  status    meter health, store, aggregator, exporter and outbox, counter events, health verdict [--watch]
  events    counter events: rollovers, resets, replacements, quarantines, gaps

The store is --store <file>, else env PCF_EDGE_STORE, else on a Greengrass gateway the store in
<Greengrass root>/work/pcf-edge/ (root: env GGC_ROOT_PATH, else /greengrass/v2). 'pcf-edge <command> --help'
describes each command.
Exit codes: 0 ok, 1 failure (store missing or unreadable, unknown line), 2 bad command line, 3 unhealthy (status).`;

const HELPS: Record<string, string> = {
  rollups: ROLLUPS_HELP,
  lines: LINES_HELP,
  status: STATUS_HELP,
  events: EVENTS_HELP,
};

function watch(run: ReturnType<typeof prepareStatus>, intervalMs: number): Promise<number> {
  return new Promise((resolve) => {
    const draw = (): void => {
      process.stdout.write(`\x1b[2J\x1b[H${run.render(Date.now()).text}`);
    };
    draw();
    const timer = setInterval(draw, intervalMs);
    process.once('SIGINT', () => {
      clearInterval(timer);
      run.close();
      resolve(0);
    });
  });
}

/** Runs one command line; returns the exit code. Output goes to stdout, errors to stderr. */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const now = Date.now();
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0] === undefined ? undefined : HELPS[rest[0]];
        process.stdout.write(`${topic ?? MAIN_HELP}\n`);
        return 0;
      }
      case 'rollups':
        process.stdout.write(runRollups(rest, now));
        return 0;
      case 'lines':
        process.stdout.write(runLines(rest, now));
        return 0;
      case 'events':
        process.stdout.write(runEvents(rest, now));
        return 0;
      case 'status': {
        const run = prepareStatus(rest);
        if (run.watchMs !== null) return await watch(run, run.watchMs);
        const { text, healthy } = run.render(now);
        process.stdout.write(text);
        run.close();
        return healthy ? 0 : UNHEALTHY_EXIT_CODE;
      }
      default:
        process.stderr.write(`pcf-edge: unknown command '${command}'\n\n${MAIN_HELP}\n`);
        return 2;
    }
  } catch (err) {
    if (isPcfError(err, 'ERR_USAGE')) {
      process.stderr.write(`pcf-edge ${command}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(
      isPcfError(err)
        ? `pcf-edge ${command}: ${err.code}: ${err.message}\n`
        : `pcf-edge ${command}: ${(err as Error).stack ?? String(err)}\n`,
    );
    return 1;
  }
}
