import { createLogger } from '@pcf-edge/core';
import { serveCommand } from './api/serve';
import { runCli } from './cli/run';

const log = createLogger({ component: 'cloud-sink' });
const stops: (() => Promise<void>)[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'stopping');
    void Promise.all(stops.map((s) => s()));
  });
}
const argv = process.argv.slice(2);
const run =
  argv[0] === 'serve'
    ? (io: Parameters<typeof runCli>[1]) => serveCommand(argv.slice(1), io)
    : (io: Parameters<typeof runCli>[1]) => runCli(argv, io);
run({
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  log,
  onSignal: (stop) => stops.push(stop),
  // a bar redrawn in place on a terminal; otherwise progress lines go to stderr like any diagnostic
  ...(process.stderr.isTTY ? { progress: { tty: true, write: (text: string) => process.stderr.write(text) } } : {}),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log.error({ err }, 'unexpected failure');
    process.exitCode = 1;
  },
);
