import { createLogger } from '@pcf-edge/core';
import { runCli } from './cli/run';

const log = createLogger({ component: 'cloud-sink' });
const stops: (() => Promise<void>)[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'stopping');
    void Promise.all(stops.map((s) => s()));
  });
}
runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  log,
  onSignal: (stop) => stops.push(stop),
}).then((code) => { process.exitCode = code; }, (err: unknown) => { log.error({ err }, 'unexpected failure'); process.exitCode = 1; });
