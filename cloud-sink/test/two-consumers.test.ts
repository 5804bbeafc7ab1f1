import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { makeRollupBatch, type LineRollup } from '@pcf-edge/core';
import { startLocalKinesis, type LocalKinesis } from '../../test-support/kinesis';
import { mulberry32 } from '../../test-support/prng';
import { lineRollup, registerTestGateway, signedBatch } from './helpers';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';
import type { CloudSinkRepository } from '../src/store/repository';

/**
 * Two ingest consumers at once on one PostgreSQL database (ADR 0181): two `cloud-sink consume` processes, two shards,
 * records carrying revisions of the same windows on both shards in any order. After both are done: every window
 * once, at its highest revision with that revision's values (no duplicate, nothing lost, revisions ordered), each
 * shard's checkpoint at its last record, no dead letter and no retried error. Once with a shard per consumer, once
 * with both consumers reading both shards.
 */
const ROOT = resolve(__dirname, '../..');
const SHARD_KEY = (shard: number) => String((2n ** 128n / 2n) * BigInt(shard) + 1n);

/** `records` batches per shard of 50 rollups each, windows drawn from a pool of 600, revisions 1–5 in random order. */
function workload(records: number): { perShard: LineRollup[][][]; expected: Map<string, LineRollup> } {
  const rnd = mulberry32(11);
  const perShard: LineRollup[][][] = [[], []];
  const expected = new Map<string, LineRollup>();
  for (let shard = 0; shard < 2; shard++) {
    for (let b = 0; b < records; b++) {
      const batch: LineRollup[] = [];
      for (let i = 0; i < 50; i++) {
        const w = Math.floor(rnd() * 600);
        const revision = 1 + Math.floor(rnd() * 5);
        const start = new Date(Date.parse('2026-05-01T00:00:00Z') + (w % 120) * 900_000).toISOString();
        const r = lineRollup(`line-${Math.floor(w / 120)}`, start, revision, revision * 1000 + w + 0.125);
        batch.push(r);
        const cur = expected.get(r.id);
        if (!cur || r.revision > cur.revision) expected.set(r.id, r);
      }
      perShard[shard]!.push(batch);
    }
  }
  return { perShard, expected };
}

/** Runs `cloud-sink consume --until-idle` in its own process with the store from the environment. */
function consume(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'cloud-sink/src/main.ts'),
        'consume',
        '--until-idle',
        '--poll-interval-ms',
        '50',
        ...args,
      ],
      { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, out }));
  });
}

const url = PG_URL;
if (url === undefined) {
  pgSkipNotice('two consumers');
  it.skip('two ingest consumers on PostgreSQL (PCF_EDGE_TEST_DATABASE_URL unset)', () => undefined);
} else
  describe('two ingest consumers at once on PostgreSQL', () => {
    let k: LocalKinesis;
    let pg: { repo: CloudSinkRepository; schema: string; dispose(): Promise<void> };
    beforeEach(async () => {
      k = await startLocalKinesis({ shards: 2, streams: ['rollups'] });
      pg = await openPgInFreshSchema(url);
      await registerTestGateway(pg.repo); // the consumers accept only batches signed by a registered key
    });
    afterEach(async () => {
      await pg.dispose();
      await k.stop();
    });

    const run = async (assign: boolean) => {
      const { perShard, expected } = workload(40);
      const last: string[] = [];
      for (let shard = 0; shard < 2; shard++) {
        for (let i = 0; i < perShard[shard]!.length; i += 20) {
          const res = await k.client.send(
            new PutRecordsCommand({
              StreamName: 'rollups',
              Records: perShard[shard]!.slice(i, i + 20).map((batch, j) => ({
                Data: signedBatch(makeRollupBatch('gw-1', 'plant-1', batch, new Date(0))), // as gw-1 exports: signed
                PartitionKey: `pk-${shard}-${i + j}`,
                ExplicitHashKey: SHARD_KEY(shard),
              })),
            }),
          );
          expect(res.FailedRecordCount ?? 0).toBe(0);
          last[shard] = res.Records!.at(-1)!.SequenceNumber!;
        }
      }
      const shards = ['shardId-000000000000', 'shardId-000000000001'];
      const env = { PCF_EDGE_DATABASE_URL: url, PCF_EDGE_DATABASE_SCHEMA: pg.schema };
      const base = ['--stream', 'rollups', '--endpoint', k.endpoint];
      const [a, b] = await Promise.all(shards.map((s) => consume(env, assign ? [...base, '--shards', s] : base)));
      for (const p of [a!, b!]) {
        expect(p.code).toBe(0);
        expect(p.out).toMatch(/0 retried errors/);
      }
      expect(await pg.repo.countRollups()).toBe(expected.size);
      const stored = await pg.repo.getRollups([...expected.keys()]);
      expect(stored.map((r) => [r.id, r.revision, r.electricityMicroKWh])).toEqual(
        [...expected.values()].map((r) => [r.id, r.revision, Math.round(r.electricityKWh * 1e6)]),
      );
      expect(await pg.repo.getCheckpoints('rollups')).toEqual(new Map(shards.map((s, i) => [s, last[i]!])));
      expect(await pg.repo.listDeadLetters()).toEqual([]);
    };

    it('a shard each', () => run(true), 120_000);
    it('both reading both shards', () => run(false), 120_000);
  });
