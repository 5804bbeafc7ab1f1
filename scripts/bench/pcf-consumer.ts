/**
 * One ingest consumer process of `bench:pcf` (PostgreSQL runs two at once, as production runs one per shard):
 * `tsx scripts/bench/pcf-consumer.ts --stream <s> --endpoint <url> --shards <id,id>`, the store from
 * PCF_EDGE_DATABASE_URL / PCF_EDGE_DATABASE_SCHEMA. Prints `ready`, starts on a line on stdin (so process start-up
 * is not measured), consumes its shards until idle and prints one JSON line {rollups, ms, cpuMs}.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLogger } from '@pcf-edge/core';
import { createKinesisConsumer } from '../../cloud-sink/src/ingest/poller';
import { openRepository, storeLocation } from '../../cloud-sink/src/store/open';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { stream: { type: 'string' }, endpoint: { type: 'string' }, shards: { type: 'string' } },
  });
  const repo = await openRepository(storeLocation({}, process.env), { poolSize: 2 });
  const consumer = createKinesisConsumer(
    {
      stream: values.stream!,
      endpoint: values.endpoint!,
      pollIntervalMs: 50,
      recordsPerRead: 100,
      retryDelayMs: 200,
      stopWhenIdle: true,
      shards: values.shards!.split(','),
    },
    { repo, log: createLogger({ component: 'bench-consumer', level: process.env.LOG_LEVEL ?? 'warn' }) },
  );
  process.stdout.write('ready\n');
  const stdin = createInterface({ input: process.stdin });
  await new Promise<void>((go) => stdin.once('line', () => go()));
  stdin.close(); // else the open stdin keeps this process alive after its result
  const t0 = Date.now(),
    c0 = process.cpuUsage();
  await consumer.start();
  await consumer.done();
  await consumer.stop();
  const cpu = process.cpuUsage(c0);
  process.stdout.write(
    `${JSON.stringify({ rollups: consumer.stats.rollups, errors: consumer.stats.errors, ms: Date.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`,
  );
  await repo.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
