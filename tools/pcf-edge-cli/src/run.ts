/** Process entry of the `pcf-edge` bin (bin/pcf-edge.js registers tsx, then loads this file). */
import { runCli } from './main';

// `pcf-edge … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pcf-edge: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
