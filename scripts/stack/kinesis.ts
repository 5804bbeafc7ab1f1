import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DescribeStreamCommand } from '@aws-sdk/client-kinesis';
import { createLocalKinesisServer, createLocalStream, localKinesisClient } from '../../test-support/kinesis';

const HELP = `Usage: tsx scripts/stack/kinesis.ts [--port 4567] [--path <dir>] [--stream <name>] [--shards 2]

A local Kinesis API (kinesalite) on 127.0.0.1 for the local stack. With --path, streams and records persist in
that folder (LevelDB) across restarts; without it they live in memory. Creates --stream when it does not exist.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4567' },
      path: { type: 'string' },
      stream: { type: 'string', multiple: true, default: [] },
      shards: { type: 'string', default: '2' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port);
  const shards = Number(values.shards);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  if (!Number.isInteger(shards) || shards < 1)
    throw new Error(`--shards must be a positive integer, got ${values.shards}`);
  if (values.path) mkdirSync(values.path, { recursive: true });
  // kinesalite with its quadratic body read and 5 s keep-alive race worked around (test-support/kinesis, ADR 0131)
  const server = createLocalKinesisServer(values.path ? { path: values.path } : {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = localKinesisClient(endpoint);
  for (const name of values.stream) {
    const exists = await client.send(new DescribeStreamCommand({ StreamName: name })).then(
      () => true,
      () => false,
    );
    if (!exists) await createLocalStream(client, name, shards);
  }
  console.log(`local kinesis ready at ${endpoint} (streams: ${values.stream.join(', ') || 'none'})`);
  const stop = (): void => {
    client.destroy();
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`kinesis: ${(err as Error).message}`);
  process.exit(1);
});
