/**
 * The other processes of the OPC UA collector benchmark (scripts/bench/collect-opcua.ts), bundled by it and run by
 * plain node:
 *
 *   --serve M --port P        a node-opcua server on port P of M UInt32 variables `s=n<i>` in one namespace;
 *                             each returns the next integer every time the server samples it, unless frozen, so
 *                             every 1 s sample is a change to notify. Sends `{ port, namespace }` to the parent over
 *                             IPC, then answers each message `{ cmd: 'freeze' | 'thaw' | 'count' }` with `{ finals }`
 *                             (finals[i]: the value node i holds; it produced 1, 2, …, finals[i]).
 *   --bare --url U --items M  a bare node-opcua client (no decoding, no store): one session, the M nodes monitored
 *                             exactly as the collector monitors them (subscriptions of at most 1,000 items at 1 s
 *                             publishing and sampling, queue size 10, discard oldest, timestamps both). Prints
 *                             `READY` once every item delivered a value, `COUNT <updates so far>` on SIGUSR1, and
 *                             on SIGTERM
 *                             `RESULT {"delivered":…,"lost":…}` (lost: values skipped between two deliveries of a
 *                             node).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as NodeOpcua from 'node-opcua';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  type ClientSession,
} from 'node-opcua-client';

const NS = 'urn:pcf-edge:bench:meters';
/** As the collector's defaults (config.schema.json). */
const ITEMS_PER_SUBSCRIPTION = 1000;
const QUEUE_SIZE = 10;

export type ToServer = { cmd: 'count' } | { cmd: 'freeze' } | { cmd: 'thaw' };
export type FromServer = { port: number; namespace: string } | { finals: number[] };

async function serve(items: number, port: number): Promise<void> {
  // Left out of the bundle and loaded here only: the bare client must not carry node-opcua's server half.
  const {
    DataType,
    OPCUACertificateManager: ServerCm,
    OPCUAServer,
    Variant,
  } = createRequire(__filename)('node-opcua') as typeof NodeOpcua;
  const pki = mkdtempSync(join(tmpdir(), 'bench-opcua-server-'));
  const server = new OPCUAServer({
    port,
    resourcePath: '/UA/bench',
    serverCertificateManager: new ServerCm({ rootFolder: pki, automaticallyAcceptUnknownCertificate: true }),
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
    if (m.cmd === 'thaw') frozen = false;
    process.send?.({ finals } satisfies FromServer);
  });
  process.on('disconnect', () => {
    void server.shutdown(0).finally(() => {
      rmSync(pki, { recursive: true, force: true });
      process.exit(0);
    });
  });
  process.send?.({ port, namespace: NS } satisfies FromServer);
}

async function monitorAll(session: ClientSession, items: number, onValue: (i: number, v: number) => void) {
  await session.readNamespaceArray();
  const ns = session.getNamespaceIndex(NS);
  for (let first = 0; first < items; first += ITEMS_PER_SUBSCRIPTION) {
    const count = Math.min(ITEMS_PER_SUBSCRIPTION, items - first);
    const sub = await session.createSubscription2({
      requestedPublishingInterval: 1000,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 60,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    const group = await sub.monitorItems(
      Array.from({ length: count }, (_, k) => ({
        nodeId: `ns=${ns};s=n${first + k}`,
        attributeId: AttributeIds.Value,
      })),
      { samplingInterval: 1000, queueSize: QUEUE_SIZE, discardOldest: true, filter: null },
      TimestampsToReturn.Both,
    );
    group.on('changed', (_mi, dv, index) => onValue(first + index, dv.value.value as number));
  }
}

async function bare(url: string, items: number): Promise<void> {
  const pki = mkdtempSync(join(tmpdir(), 'bench-opcua-bare-'));
  const cm = new OPCUACertificateManager({ rootFolder: pki });
  await cm.initialize();
  const client = OPCUAClient.create({
    applicationName: 'pcf-edge bench bare client',
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
    keepSessionAlive: true,
    clientCertificateManager: cm,
  });
  await client.connect(url);
  const session = await client.createSession();
  const last = new Array<number>(items).fill(-1);
  let delivered = 0;
  let lost = 0;
  let waiting = items;
  await monitorAll(session, items, (i, v) => {
    delivered++;
    const prev = last[i]!;
    if (prev < 0) {
      if (--waiting === 0) process.stdout.write('READY\n');
    } else lost += Math.max(0, v - prev - 1);
    last[i] = v;
  });
  process.on('SIGUSR1', () => process.stdout.write(`COUNT ${delivered}\n`));
  process.once('SIGTERM', () => {
    const result = `RESULT ${JSON.stringify({ delivered, lost })}\n`;
    void session
      .close()
      .then(() => client.disconnect())
      .catch(() => undefined)
      .finally(() => {
        rmSync(pki, { recursive: true, force: true });
        process.stdout.write(result, () => process.exit(0));
      });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      port: { type: 'string' },
      bare: { type: 'boolean' },
      url: { type: 'string' },
      items: { type: 'string' },
    },
  });
  if (values.serve && values.port) return serve(Number(values.serve), Number(values.port));
  if (values.bare && values.url && values.items) return bare(values.url, Number(values.items));
  throw new Error('usage: collect-opcua-child --serve M --port P | --bare --url opc.tcp://… --items M');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
