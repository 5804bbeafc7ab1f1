import { parseArgs } from 'node:util';
import { createLogger, PcfError } from '@pcf-edge/core';
import { createStreamManagerServer } from './server';
import { kinesisClientFor } from './kinesis-client';

const HELP = `Usage: npm run stream-manager -- [options]

A local Stream Manager speaking the Greengrass Stream Manager wire protocol, exporting to Kinesis.

  --port <n>               TCP port on 127.0.0.1 (default 8088; 0 picks a free one)
  --dir <folder>           where File-persistence streams are stored (default .pcf-edge/stream-manager)
  --kinesis-endpoint <url> Kinesis API endpoint for exports (e.g. a local kinesalite); without it exports do not run
  --require-token <t>      accept only clients whose Connect carries this auth token (repeatable)
  --help                   show this help
`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8088' },
        dir: { type: 'string', default: '.pcf-edge/stream-manager' },
        'kinesis-endpoint': { type: 'string' },
        'require-token': { type: 'string', multiple: true },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new PcfError('ERR_USAGE', `--port must be a TCP port, got ${values.port}`);
  const log = createLogger({ component: 'stream-manager' });
  const endpoint = values['kinesis-endpoint'];
  const server = createStreamManagerServer(
    { port, dir: values.dir, requireTokens: values['require-token'] ?? [] },
    { log, kinesis: endpoint === undefined ? undefined : kinesisClientFor(endpoint) },
  );
  const { port: bound } = await server.start();
  process.stdout.write(`stream-manager listening on 127.0.0.1:${bound}\n`);
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`stream-manager: ${(err as Error).message}\n`);
  process.exit(err instanceof PcfError && err.code === 'ERR_USAGE' ? 2 : 1);
});
