import { isPcfError } from './errors';

/** Resolves with the signal when the process receives SIGINT or SIGTERM (whichever comes first). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

/** Exit code for a failure: 2 for a bad command line or configuration (the user can fix it), 1 otherwise. */
export function exitCodeOf(err: unknown): number {
  return isPcfError(err, 'ERR_USAGE') || isPcfError(err, 'ERR_CONFIG_INVALID') || isPcfError(err, 'ERR_CONFIG_READ')
    ? 2
    : 1;
}

/**
 * Runs a command's `main` and sets the exit code from its result. A PcfError is printed as `CODE: message`
 * (the message already names what is wrong); anything else with its stack, since it is a bug.
 */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (isPcfError(err)) process.stderr.write(`${err.code}: ${err.message}\n`);
      else process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = exitCodeOf(err);
    },
  );
}
