/**
 * Fleet benchmark child: simulated gateways [from, to) in one process. Each gateway is a lightweight stream
 * exporter — the exporter's own message builder (`buildMessages`, each message validated against the rollup-batch
 * schema) and its direct Kinesis sink (`createKinesisSink`: one PutRecord per message, random partition key, as
 * Stream Manager does), with a Kinesis client of its own — fed by `gatewayMessages` instead of a gateway store.
 * Each gateway signs every message with its own Ed25519 key (`batchSigner`, ADR 0193) as the exporter does, sizing
 * batches by `signedBudget` so the signed record stays within the 1 MiB message limit; the cloud sink dead-letters
 * anything else.
 * A failed put is retried after a back-off (as the exporter does), so a record may arrive twice, never not at all.
 *
 * Driven over IPC by scripts/bench/fleet.ts: job → `ready` → `go` → `done` with a `GatewayReport`, exits.
 * `preload`: every gateway sends all its messages as fast as one in flight allows. `live`: each gateway sends one
 * message every `intervalMs` (start offsets spread over the interval). Lag samples: for rollups whose id starts
 * with `0` (1 in 16), the time the message was handed to the sink.
 */
import { batchSigner, type GatewayJwk } from '@pcf-edge/core';
import {
  buildMessages,
  createKinesisSink,
  kinesisClientFor,
  MAX_MESSAGE_BYTES,
  parseExporterConfig,
  signedBudget,
  type RecordSink,
} from '@pcf-edge/stream-exporter';
import { gatewayId, gatewayMessages, isLagSample, siteOf, type FleetShape } from './fleet-data';

export interface GatewayJob {
  shape: FleetShape;
  from: number;
  to: number;
  endpoint: string;
  stream: string;
  mode: 'preload' | 'live';
  intervalMs: number;
  /** Private signing keys of gateways [from, to), in order (over IPC only). */
  keys: GatewayJwk[];
}

export interface GatewayReport {
  /** Epoch ms of `go` and of the last acknowledged put. */
  startMs: number;
  endMs: number;
  records: number;
  /** Bytes of the records put. */
  bytes: number;
  rollups: number;
  retries: number;
  /** `id:revision` → epoch ms the message carrying it was handed to the sink (first send). */
  sent: [string, number][];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runGateway(job: GatewayJob, g: number, report: GatewayReport): Promise<void> {
  const config = parseExporterConfig({
    gatewayId: gatewayId(g),
    site: siteOf(g),
    target: 'kinesis',
    kinesisStreamName: job.stream,
    kinesis: { endpoint: job.endpoint },
  });
  const client = kinesisClientFor(config);
  const sink = createKinesisSink(config, client);
  const meta = { gatewayId: config.gatewayId, site: config.site };
  const signer = batchSigner(job.keys[g - job.from]!);
  let seq = 0;
  let next = performance.now() + (job.mode === 'live' ? (g * 7919) % job.intervalMs : 0);
  try {
    for (const m of gatewayMessages(job.shape, g)) {
      if (job.mode === 'live') {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        next += job.intervalMs;
      }
      const rows = m.rollups.map((r) => ({
        seq: ++seq,
        rollupId: r.id,
        revision: r.revision,
        body: JSON.stringify(r),
      }));
      const { messages } = buildMessages(rows, meta, new Date(), signedBudget(MAX_MESSAGE_BYTES), true);
      const signed = messages.map((msg) => ({ data: signer.sign(msg.data), rollups: msg.rollups }));
      const at = Date.now();
      for (const r of m.rollups) if (isLagSample(r.id)) report.sent.push([`${r.id}:${r.revision}`, at]);
      for (let copy = 0; copy < (m.resend ? 2 : 1); copy++)
        for (const msg of signed) {
          await appendWithRetry(sink, msg.data, report);
          report.records++;
          report.bytes += msg.data.length;
          report.rollups += msg.rollups;
        }
    }
  } finally {
    sink.close();
  }
}

async function appendWithRetry(sink: RecordSink, data: Buffer, report: GatewayReport): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await sink.append(data);
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      report.retries++;
      await sleep(Math.min(2000, 50 * 2 ** attempt));
    }
  }
}

process.once('message', (job: GatewayJob) => {
  process.send!({ type: 'ready' });
  process.once('message', () => {
    const report: GatewayReport = {
      startMs: Date.now(),
      endMs: 0,
      records: 0,
      bytes: 0,
      rollups: 0,
      retries: 0,
      sent: [],
    };
    const gateways = Array.from({ length: job.to - job.from }, (_, i) => runGateway(job, job.from + i, report));
    Promise.all(gateways).then(
      () => {
        report.endMs = Date.now();
        process.send!({ type: 'done', report }, () => process.exit(0));
      },
      (err: unknown) =>
        process.send!({ type: 'failed', error: String((err as Error).stack ?? err) }, () => process.exit(1)),
    );
  });
});
