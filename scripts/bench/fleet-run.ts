import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import type { GatewayJwk } from '@pcf-edge/core';
import { openPostgresRepository } from '../../cloud-sink/src/store/postgres';
import { openSecurityStore } from '../../cloud-sink/src/store/security-store';
import { createLocalStream, freePort, localKinesisClient } from '../../test-support/kinesis';
import type { ConsumerJob, ConsumerReport } from './fleet-consumer';
import { gatewayId, siteOf, type ExpectedState } from './fleet-data';
import type { GatewayJob, GatewayReport } from './fleet-gateway';
import { CpuMeter } from './fleet-proc';

/** Processes and plumbing of the fleet benchmark (scripts/bench/fleet.ts): children, kinesalite, the database. */
const ROOT = resolve(__dirname, '../..');
export const progress = (text: string) => process.stderr.write(`fleet: ${text}\n`);

/** Every child still running, killed when this process exits (a failed phase must not leave any behind). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
function track(c: ChildProcess): ChildProcess {
  running.add(c);
  c.once('exit', () => running.delete(c));
  return c;
}

/** A child Node process running a TypeScript file, with an IPC channel; the database URL only in its environment. */
function child(file: string, dbUrl: string): ChildProcess {
  return track(
    spawn(process.execPath, ['--import', 'tsx', join(__dirname, file)], {
      cwd: ROOT,
      env: { ...process.env, PCF_EDGE_DATABASE_URL: dbUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
}

/** kinesalite in its own process (its pid is measured), with `stream` of `shards` shards. */
export async function startKinesalite(stream: string, shards: number) {
  const port = await freePort();
  const proc = track(
    spawn(process.execPath, [join(ROOT, 'test-support/kinesis/kinesalite-process.js'), String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  await new Promise<void>((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Listening at')) ok();
    });
    proc.once('exit', (code) => fail(new Error(`kinesalite exited (${code}) before listening`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localKinesisClient(endpoint);
  await createLocalStream(client, stream, shards);
  client.destroy();
  return {
    endpoint,
    pid: proc.pid!,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The gateways of `base.shape` spread over `processes` processes, each prepared (`ready`) before `go`. `keys[g]` is
 * gateway g's signing key; each process gets only its own gateways' keys, over IPC.
 */
export async function startGateways(
  base: Omit<GatewayJob, 'from' | 'to' | 'keys'>,
  keys: GatewayJwk[],
  processes: number,
  dbUrl: string,
) {
  const n = base.shape.gateways;
  const count = Math.min(processes, n);
  const kids = Array.from({ length: count }, (_, i) => {
    const c = child('fleet-gateway.ts', dbUrl);
    const [from, to] = [Math.floor((i * n) / count), Math.floor(((i + 1) * n) / count)];
    c.send({ ...base, from, to, keys: keys.slice(from, to) } satisfies GatewayJob);
    return c;
  });
  await Promise.all(kids.map((k) => reply<{ type: string }>(k, 'ready')));
  const done = kids.map((k) => reply<{ type: string; report: GatewayReport }>(k, 'done'));
  return {
    pids: kids.map((k) => k.pid!),
    go: () => kids.forEach((k) => k.send({ type: 'go' })),
    done: async (): Promise<GatewayReport> =>
      (await Promise.all(done))
        .map((m) => m.report)
        .reduce((a, r) => ({
          startMs: Math.min(a.startMs, r.startMs),
          endMs: Math.max(a.endMs, r.endMs),
          records: a.records + r.records,
          bytes: a.bytes + r.bytes,
          rollups: a.rollups + r.rollups,
          retries: a.retries + r.retries,
          sent: a.sent.concat(r.sent),
        })),
  };
}

/** The child's next message of `type`; rejects on a `failed` message or a non-zero exit. */
function reply<T extends { type: string }>(k: ChildProcess, type: string): Promise<T> {
  return new Promise<T>((ok, fail) => {
    const on = (m: T & { error?: string }) => {
      if (m.type === 'failed') fail(new Error(`child process failed: ${m.error}`));
      if (m.type !== type) return;
      k.off('message', on);
      ok(m);
    };
    k.on('message', on);
    k.once('exit', (code) => code !== 0 && fail(new Error(`child process exited with ${code}`)));
  });
}

/** Consumer processes, each prepared (`ready`) before `go` is sent to all at once. */
export async function startConsumers(jobs: ConsumerJob[], dbUrl: string) {
  const kids = jobs.map((job) => {
    const c = child('fleet-consumer.ts', dbUrl);
    c.send(job);
    return c;
  });
  await Promise.all(kids.map((k) => reply(k, 'ready')));
  const done = kids.map((k) => reply<{ type: string; report: ConsumerReport }>(k, 'done'));
  return {
    pids: kids.map((k) => k.pid!),
    go: () => kids.forEach((k) => k.send({ type: 'go' })),
    stop: () => kids.forEach((k) => k.send({ type: 'stop' })),
    done: async () => (await Promise.all(done)).map((m) => m.report),
    exit: async () => {
      await Promise.all(
        kids.map((k) => {
          if (k.exitCode !== null) return Promise.resolve();
          const exited = new Promise((r) => k.once('exit', r));
          k.send({ type: 'exit' });
          return exited;
        }),
      );
    },
  };
}

/** The orchestrator's own database connection: schemas, backend pids, verification. */
export async function openAdmin(dbUrl: string) {
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  return {
    /** A freshly migrated schema with gateway g's public key (`keys[g]`) registered for its site, as ADR 0193 needs. */
    async freshSchema(schema: string, keys: GatewayJwk[]): Promise<void> {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      const repo = await openPostgresRepository({ connectionString: dbUrl, schema, poolSize: 1, migrate: true });
      try {
        const security = openSecurityStore(repo);
        for (const [g, k] of keys.entries())
          await security.addGatewayKey({ keyId: k.kid, gatewayId: gatewayId(g), publicKey: k.x, sites: [siteOf(g)] });
      } finally {
        await repo.close();
      }
    },
    dropSchema: (schema: string) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
    /** Client backends of this database other than ours (one per pooled consumer connection). */
    async backends(): Promise<number[]> {
      const r = await c.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND backend_type = 'client backend'`,
      );
      return r.rows.map((x) => x.pid);
    },
    async rowCount(schema: string): Promise<number> {
      return Number((await c.query(`SELECT count(*) AS n FROM ${schema}.rollups`)).rows[0].n);
    },
    /**
     * Missing, mismatched (not at the expected revision and content) and unexpected rows of the current view, the
     * revisions kept in the history, and the dead letters: every record the bench sends is valid and signed, so any
     * dead letter is a record the store refused (lost).
     */
    async verify(schema: string, expected: ExpectedState) {
      // the current view (`rollups`) keeps its revision's document as received; `rollup_revisions` those it replaced
      const r = await c.query({ text: `SELECT id, revision, md5(doc) FROM ${schema}.rollups`, rowMode: 'array' });
      const count = async (table: string) =>
        Number((await c.query(`SELECT count(*) AS n FROM ${schema}.${table}`)).rows[0].n);
      const dead = await count('dead_letters');
      // every (id, revision) kept: the view's and the history's (ADR 0270)
      const revisions = Number(
        (
          await c.query(
            `SELECT count(*) AS n FROM (SELECT id, revision FROM ${schema}.rollups
             UNION SELECT id, revision FROM ${schema}.rollup_revisions) AS k`,
          )
        ).rows[0].n,
      );
      let unexpected = 0,
        mismatched = 0,
        found = 0;
      for (const [id, revision, md5] of r.rows as [string, number, string][]) {
        const want = expected.rows.get(id);
        if (want === undefined) unexpected++;
        else if (want !== `${revision}:${md5}`) mismatched++;
        else found++;
      }
      const missing = expected.rows.size - found - mismatched;
      return { rows: r.rows.length, revisions, missing, mismatched, unexpected, deadLetters: dead };
    },
    close: () => c.end(),
  };
}
export type Admin = Awaited<ReturnType<typeof openAdmin>>;

/** Samples every `ms` the CPU of the named processes plus this database's backends into `meter`. */
export function sampleWhile(meter: CpuMeter, admin: Admin, pids: () => Map<number, string>, ms = 250) {
  const all = async () => {
    const m = pids();
    for (const pid of await admin.backends()) m.set(pid, 'postgres');
    return m;
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    all()
      .then((m) => meter.sample(m))
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, ms);
  return {
    start: async () => meter.start(await all()),
    stop: async () => {
      clearInterval(timer);
      meter.stop(await all());
      return meter.report();
    },
  };
}
