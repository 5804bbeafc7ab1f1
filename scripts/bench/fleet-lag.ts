import { expectedState, type FleetShape } from './fleet-data';
import { check, consume, dealt, job, put, summary, type FleetOptions } from './fleet-phases';
import { boundOf } from './fleet-proc';
import { progress, startKinesalite, type Admin } from './fleet-run';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank quantile of sorted numbers. */
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;

/**
 * Live phase: the consumers poll while every gateway puts one message each `liveIntervalMs` for `liveSec` (windows a
 * month after the scale runs' data, into a fresh stream and schema). Lag of a sampled rollup = the commit of the
 * consumer write holding it − the moment its gateway handed the message to the Kinesis sink (one clock: one machine).
 * The consumers stop once the store holds the expected final state (or after 120 s, which the check then reports).
 */
export async function liveLag(o: FleetOptions, admin: Admin) {
  const shape: FleetShape = {
    ...o.shape,
    minutes: Math.max(1, Math.ceil((o.liveSec * 1000) / o.liveIntervalMs)),
    startMs: o.shape.startMs + 30 * DAY,
  };
  const expected = expectedState(shape);
  const shards = o.liveConsumers * o.shardsPerConsumer;
  const stream = 'fleet-live';
  const schema = 'fleet_live';
  await admin.freshSchema(schema, o.keys);
  const k = await startKinesalite(stream, shards);
  try {
    progress(
      `live: ${o.shape.gateways} gateways, a message each every ${o.liveIntervalMs} ms for ${o.liveSec} s, ${o.liveConsumers} consumers polling`,
    );
    const jobs = Array.from({ length: o.liveConsumers }, (_, i) =>
      job(o, {
        mode: 'kinesis',
        schema,
        stream,
        endpoint: k.endpoint,
        shards: dealt(shards, o.liveConsumers, i),
        live: true,
      }),
    );
    const run = await consume(o, admin, k, jobs);
    const p = await put(o, admin, k, stream, shape, true);
    const sent = await p.gw.done();
    await p.sampler.stop();
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(500)) {
      const v = await admin.verify(schema, expected);
      if (v.missing + v.mismatched === 0) break;
    }
    run.group.stop();
    const reports = await run.group.done();
    const cpu = await run.sampler.stop();
    await run.group.exit();
    const committed = new Map<string, number>();
    for (const r of reports)
      for (const [key, at] of r.committed) committed.set(key, Math.min(at, committed.get(key) ?? Infinity));
    const lags: number[] = [];
    let unseen = 0;
    for (const [key, at] of sent.sent) {
      const c = committed.get(key);
      if (c === undefined) unseen++;
      else lags.push(c - at);
    }
    lags.sort((a, b) => a - b);
    const c = await check(admin, schema, { ...expected, records: sent.records }, reports);
    return {
      samples: lags.length,
      unseen,
      p50: quantile(lags, 0.5),
      p95: quantile(lags, 0.95),
      max: lags.at(-1) ?? NaN,
      rate: sent.rollups / o.liveSec,
      bound: boundOf(cpu),
      cpu: summary(reports, cpu).cpu,
      lost: c.lost,
      duplicated: c.duplicated,
      deadLetters: c.deadLetters,
    };
  } finally {
    await k.stop();
  }
}
