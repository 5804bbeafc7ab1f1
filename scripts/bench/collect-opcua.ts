/**
 * OPC UA collector benchmark (issue 3 (c)): `tsx scripts/bench/collect-opcua.ts [--seconds N] [--items M]`, also run
 * by `npm run bench:collect`.
 *
 * Server: a node-opcua server in a child process (its CPU and memory are not counted) exposing M UInt32 variables
 * (default 10,000). Each variable's value comes from a getter that returns the next integer every time the server
 * samples it, so every 1 s sample is a change the server must notify. Collector: in this process, as configured in
 * production (subscriptions at 1 s sampling and publishing, at most 1,000 items per subscription, queue size 10),
 * writing through the batched ReadingWriter into a SQLite gateway store in a temp dir.
 *
 * After N seconds (default 60) the server freezes its values (no further changes), the collector gets a drain
 * period, and the bench prints updates/s delivered in the steady window vs the expected M/s; delivered vs produced
 * (per node, every integer from its first delivered value to its final value must arrive: a skipped one is a lost
 * update); rows in the store; peak RSS of this process — each beside its target.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Reading } from '@pcf-edge/core';
import { silentLogger } from '@pcf-edge/core';
import { openStore } from '@pcf-edge/store';
import { createOpcUaCollector, validateOpcUaConfig } from '../../components/opcua-collector/src';

const NS = 'urn:pcf-edge:bench:meters';
const HELP = `usage: tsx scripts/bench/collect-opcua.ts [--seconds N] [--items M]
  --seconds N   measurement window (default 60)
  --items M     monitored items, one UInt32 node each, sampled every 1 s (default 10000, issue 21)
Environment: BENCH_TRACE=1 prints RSS and heap every 2 s to stderr.
Targets: every update the server produced is delivered; peak RSS <= 250 MB.`;

type ToServer = { cmd: 'count' } | { cmd: 'freeze' };
/** `finals[i]`: the value node i holds once frozen; node i produced 1, 2, …, finals[i]. */
type FromServer = { port: number } | { finals: number[] };

async function serve(items: number): Promise<void> {
  // Loaded here only: the collector process must not carry the server half of node-opcua.
  const { DataType, OPCUACertificateManager, OPCUAServer, Variant } = await import('node-opcua');
  const pki = mkdtempSync(join(tmpdir(), 'bench-opcua-server-'));
  const server = new OPCUAServer({
    port: Number(process.env.BENCH_PORT),
    resourcePath: '/UA/bench',
    serverCertificateManager: new OPCUACertificateManager({
      rootFolder: pki,
      automaticallyAcceptUnknownCertificate: true,
    }),
    serverCapabilities: {
      maxMonitoredItemsPerSubscription: 100_000,
      operationLimits: { maxMonitoredItemsPerCall: 100_000, maxNodesPerRead: 100_000 },
    },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const ns = addressSpace.registerNamespace(NS);
  const finals = new Array<number>(items).fill(0);
  let frozen = false;
  for (let i = 0; i < items; i++) {
    ns.addVariable({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: `n${i}`,
      nodeId: `s=n${i}`,
      dataType: 'UInt32',
      minimumSamplingInterval: 100,
      value: {
        get: () => {
          if (!frozen) finals[i] = (finals[i] ?? 0) + 1;
          return new Variant({ dataType: DataType.UInt32, value: finals[i] });
        },
      },
    });
  }
  await server.start();
  process.on('message', (m: ToServer) => {
    if (m.cmd === 'freeze') frozen = true;
    process.send?.({ finals } satisfies FromServer);
  });
  process.on('disconnect', () => {
    void server.shutdown(0).finally(() => {
      rmSync(pki, { recursive: true, force: true });
      process.exit(0);
    });
  });
  process.send?.({ port: Number(process.env.BENCH_PORT) } satisfies FromServer);
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function bench(seconds: number, items: number): Promise<number> {
  const port = await freePort();
  const child = fork(__filename, ['--serve', String(items)], {
    execArgv: process.execArgv,
    stdio: 'inherit',
    env: { ...process.env, BENCH_PORT: String(port) },
  });
  const replies: ((m: FromServer) => void)[] = [];
  child.on('message', (m: FromServer) => replies.shift()?.(m));
  const ask = (m: ToServer | null) =>
    new Promise<FromServer>((resolve) => {
      replies.push(resolve);
      if (m) child.send(m);
    });
  await ask(null);

  const dir = mkdtempSync(join(tmpdir(), 'bench-opcua-'));
  const store = openStore(join(dir, 'gateway.sqlite'));
  const writer = store.createReadingWriter({ maxBatch: 1000, maxDelayMs: 1000 });
  const perSecond = new Map<number, number>();
  let delivered = 0;
  // Per node: first and last value received and the number of skipped values (updates lost).
  const seen = new Map<string, { first: number; last: number; lost: number }>();
  const readings = {
    write(r: Reading) {
      delivered++;
      const s = Math.floor(r.readTs / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
      const key = `${r.meterId}/${r.point}`;
      const v = r.value ?? NaN;
      const prev = seen.get(key);
      if (!prev) seen.set(key, { first: v, last: v, lost: 0 });
      else {
        prev.lost += Math.max(0, v - prev.last - 1);
        prev.last = v;
      }
      writer.write(r);
    },
  };
  const meters = Array.from({ length: Math.ceil(items / 10) }, (_, m) => ({
    id: `m${m}`,
    line: `L${m % 10}`,
    endpoint: 'srv',
    points: Array.from({ length: Math.min(10, items - m * 10) }, (_, p) => ({
      name: `p${p}`,
      nodeId: `nsu=${NS};s=n${m * 10 + p}`,
      quantity: 'unitsProduced',
      samplingIntervalMs: 1000,
    })),
  }));
  const config = validateOpcUaConfig(
    {
      site: 'bench',
      endpoints: [{ id: 'srv', url: `opc.tcp://127.0.0.1:${port}/UA/bench`, pkiDir: join(dir, 'pki') }],
      meters,
    },
    'bench',
  );
  let peakRss = process.memoryUsage().rss;
  const trace = process.env.BENCH_TRACE === '1';
  let ticks = 0;
  const rssTimer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    if (trace && ++ticks % 10 === 0) {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc && ticks % 50 === 0) gc();
      const after = process.memoryUsage();
      process.stderr.write(
        `rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)}${gc && ticks % 50 === 0 ? ` (after gc ${mb(after.heapUsed)})` : ''} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} delivered ${delivered}\n`,
      );
    }
  }, 200);
  const collector = createOpcUaCollector(config, { readings, health: store, log: silentLogger() });
  const t0 = Date.now();
  await collector.start();
  while (delivered < items && Date.now() - t0 < 300_000) await sleep(100);
  const setupMs = Date.now() - t0;
  const windowStart = Math.ceil(Date.now() / 1000) + 2;
  await sleep((windowStart - Date.now() / 1000) * 1000 + seconds * 1000);
  const windowEnd = Math.floor(Date.now() / 1000);
  const { finals } = (await ask({ cmd: 'freeze' })) as { finals: number[] };
  const frozenAt = Date.now();
  await sleep(5000);
  const cpu = process.cpuUsage();
  if (trace) process.stderr.write(`before stop: rss ${mb(process.memoryUsage().rss)} peak ${mb(peakRss)}\n`);
  await collector.stop();
  writer.close();
  clearInterval(rssTimer);
  if (trace) process.stderr.write(`after stop: rss ${mb(process.memoryUsage().rss)} peak ${mb(peakRss)}\n`);
  const stored = store.latestReadingSeq();
  store.close();
  child.disconnect();
  rmSync(dir, { recursive: true, force: true });

  // Values the server produced from each node's first delivered value to its final one; all should arrive.
  let expected = 0;
  let lost = 0;
  let tailMissing = 0;
  finals.forEach((final, i) => {
    const s = seen.get(`m${Math.floor(i / 10)}/p${i % 10}`);
    if (!s) {
      tailMissing += final;
      return;
    }
    expected += final - s.first + 1;
    lost += s.lost;
    tailMissing += Math.max(0, final - s.last);
  });
  let inWindow = 0;
  for (let s = windowStart; s < windowEnd; s++) inWindow += perSecond.get(s) ?? 0;
  const rate = inWindow / (windowEnd - windowStart);
  const stats = collector.stats();
  const rows: [string, string, string][] = [
    ['monitored items / subscriptions', `${items} / ${Math.ceil(items / config.maxMonitoredItemsPerSubscription)}`, ''],
    ['set-up (connect, create items, first values)', `${(setupMs / 1000).toFixed(1)} s`, ''],
    ['updates/s delivered (steady window)', `${rate.toFixed(0)}`, `${items} expected`],
    [
      'updates/s the server produced (average)',
      `${(expected / ((frozenAt - t0 - setupMs) / 1000)).toFixed(0)}`,
      `${items} (below it: server starved of CPU)`,
    ],
    [
      'updates delivered / produced by server',
      `${delivered} / ${expected} (${((100 * delivered) / expected).toFixed(2)}%)`,
      '100%',
    ],
    ['updates lost (gaps, missing tail)', `${lost}, ${tailMissing}`, '0, 0'],
    ['readings in the store', `${stored}`, `${delivered}`],
    ['peak RSS (collector process)', `${mb(peakRss)} MB`, '<= 250 MB'],
    [
      'CPU (collector process, whole run)',
      `${(((cpu.user + cpu.system) / 1000 / (Date.now() - t0)) * 100).toFixed(1)} % of one core`,
      '',
    ],
    ['bad readings / session losses', `${stats.bad} / ${stats.endpoints.srv?.losses ?? 0}`, '0 / 0'],
  ];
  process.stdout.write(`\nOPC UA collector, ${items} monitored items at 1 s, ${windowEnd - windowStart} s window\n`);
  for (const [k, v, t] of rows) process.stdout.write(`  ${k.padEnd(46)} ${v.padEnd(34)} ${t ? `target ${t}` : ''}\n`);
  const ok =
    delivered === expected && lost === 0 && tailMissing === 0 && peakRss <= 250 * 1024 * 1024 && stored === delivered;
  process.stdout.write(`  ${ok ? 'PASS' : 'FAIL'}: all updates delivered and stored, RSS within target\n`);
  // machine-readable figures for npm run bench (scripts/bench/report.ts)
  process.stdout.write(
    `BENCH collect.opcua.updatesPerSec=${rate.toFixed(0)} updates/s target >= ${items}\nBENCH collect.opcua.updatesLost=${lost + tailMissing} updates target = 0\nBENCH collect.opcua.rssMB=${mb(peakRss)} MB target <= 250\n`,
  );
  return ok ? 0 : 1;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: false,
  options: {
    seconds: { type: 'string' },
    items: { type: 'string' },
    serve: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help === true) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
} else if (typeof values.serve === 'string') {
  serve(Number(values.serve)).catch((err: unknown) => {
    process.stderr.write(`bench server failed: ${String(err)}\n`);
    process.exit(1);
  });
} else {
  const seconds = Number(values.seconds ?? 60);
  const items = Number(values.items ?? 10_000);
  if (!(seconds > 0) || !(items > 0)) {
    process.stderr.write(`--seconds and --items must be positive numbers\n${HELP}\n`);
    process.exit(2);
  }
  bench(seconds, items).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
