import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Server } from 'node:http';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, shared with kinesalite-process.js
export const { createLocalKinesisServer } = require('./kinesalite-server.js') as {
  createLocalKinesisServer(options?: { path?: string }): Server;
};

/**
 * A kinesalite (in-memory Kinesis API) server on 127.0.0.1 for tests, benchmarks and the local stack.
 * `port` 0 (default) picks an ephemeral port; pass a fixed one to bring an endpoint "back up" at a known URL.
 */
export interface LocalKinesisOptions {
  shards?: number;
  streams?: string[];
  port?: number;
  /** Extra node options for startLocalKinesisProcess (e.g. --cpu-prof). */
  execArgv?: string[];
}

export interface LocalKinesis {
  endpoint: string;
  client: KinesisClient;
  stop(): Promise<void>;
}

/** A Kinesis client for a local endpoint: HTTP/1.1 handler, dummy credentials, any region. */
export function localKinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 30_000 }),
    maxAttempts: 1,
  });
}

export async function createLocalStream(client: KinesisClient, name: string, shards = 1): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 200; i++) {
    const d = await client.send(new DescribeStreamCommand({ StreamName: name }));
    if (d.StreamDescription?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`kinesis stream ${name} did not become ACTIVE`);
}

export async function startLocalKinesis(opts: LocalKinesisOptions = {}): Promise<LocalKinesis> {
  const server = createLocalKinesisServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localKinesisClient(endpoint);
  for (const name of opts.streams ?? []) await createLocalStream(client, name, opts.shards ?? 1);
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Every record of every shard of `stream`, shard by shard, each shard in order (TRIM_HORIZON to the end).
 * `limit`: records per GetRecords call (kinesalite has no 10 MiB reply cap as Kinesis has: keep replies of large
 * records small with a lower limit).
 */
export async function readAllRecords(client: KinesisClient, stream: string, limit = 10_000): Promise<Buffer[]> {
  const shards = await client.send(new ListShardsCommand({ StreamName: stream }));
  const out: Buffer[] = [];
  for (const shard of shards.Shards ?? []) {
    const it = await client.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    let iterator = it.ShardIterator;
    while (iterator) {
      const r = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
      for (const rec of r.Records ?? []) out.push(Buffer.from(rec.Data ?? new Uint8Array()));
      if ((r.Records ?? []).length === 0) break;
      iterator = r.NextShardIterator;
    }
  }
  return out;
}

/** A free TCP port on 127.0.0.1 (probe-and-release; a tiny race is acceptable for tests and benchmarks). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * kinesalite in its own Node process (for benchmarks: it then does not share an event loop with the code under
 * test). Same result as startLocalKinesis.
 */
export async function startLocalKinesisProcess(opts: LocalKinesisOptions = {}): Promise<LocalKinesis> {
  const port = opts.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [...(opts.execArgv ?? []), join(__dirname, 'kinesalite-process.js'), String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Listening at')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`kinesalite exited (${code}) before listening: ${out}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localKinesisClient(endpoint);
  for (const name of opts.streams ?? []) await createLocalStream(client, name, opts.shards ?? 1);
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
