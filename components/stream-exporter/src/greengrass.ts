import {
  batchSigner,
  createLogger,
  type BatchSigner,
  type Logger,
  publicGatewayKey,
  systemClock,
} from '@pcf-edge/core';
import { type GreengrassAdapter, runGreengrassApp } from '@pcf-edge/greengrass-ipc';
import { type GatewayStore, openStore, siteModelCheck } from '@pcf-edge/store';
import { EXPORTER_MMAP_BYTES } from './bodies';
import { createStreamManagerClient } from '@pcf-edge/stream-manager-client';
import type { StreamExporterConfig } from './config';
import { createStreamExporter, type StreamExporter } from './exporter';
import { defaultKeyFile, loadOrCreateGatewayKey, parseGatewayKey } from './signing-key';
import { createKinesisSink, createStreamManagerSink, kinesisClientFor, type RecordSink } from './sinks';
import {
  COMPONENT_NAME,
  exporterConfigOf,
  type GreengrassConfig,
  greengrassSchema,
  problemsOf,
} from './greengrass-config';
import { siteClaimsOf } from './site-claims';

const SOURCE = `Greengrass configuration of ${COMPONENT_NAME}`;

/** Stream Manager's port: the configuration's, else the one Stream Manager was deployed with (IPC). */
async function sinkFor(
  config: Readonly<StreamExporterConfig>,
  greengrass: GreengrassAdapter,
  log: Logger,
): Promise<RecordSink> {
  if (config.target === 'kinesis') return createKinesisSink(config, kinesisClientFor(config));
  const port = config.streamManager.port ?? (await greengrass.streamManagerPort());
  log.info({ host: config.streamManager.host, port }, 'stream manager endpoint');
  return createStreamManagerSink(
    config,
    createStreamManagerClient({ ...config.streamManager, port }, { log: log.child({ stage: 'client' }) }),
  );
}

/**
 * The gateway key: from the secret manager component when `signing.secretId` is set (the secret's string is the
 * private JWK), else from the key file, created on first start.
 */
async function signerFor(
  config: Readonly<StreamExporterConfig>,
  storePath: string,
  greengrass: GreengrassAdapter,
  log: Logger,
): Promise<BatchSigner> {
  if (!config.signing.secretId)
    return batchSigner(loadOrCreateGatewayKey(config.signing.keyFile ?? defaultKeyFile(storePath), log));
  const secret = await greengrass.getSecretValue(config.signing.secretId);
  const text = secret.kind === 'string' ? secret.value : secret.value.toString('utf8');
  const key = parseGatewayKey(text, `secret ${config.signing.secretId}`);
  log.info({ secretId: config.signing.secretId, publicKey: publicGatewayKey(key) }, 'gateway signing key');
  return batchSigner(key);
}

/**
 * Runs the exporter under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus; a
 * live-safe change stops the exporter (in-flight appends finish) and starts a new one on the same sink and store
 * (the outbox is the state); restart-only changes exit RESTART_EXIT_CODE (ADR 0070).
 */
export function runUnderGreengrass(
  storeArg: string | undefined,
  log: Logger = createLogger({ component: 'stream-exporter' }),
): Promise<number> {
  const startExporter = (
    config: Readonly<StreamExporterConfig>,
    store: GatewayStore,
    sink: RecordSink,
    signer: BatchSigner,
  ): StreamExporter => {
    const exporter = createStreamExporter(config, {
      store,
      sink,
      clock: systemClock,
      log,
      signer,
      configSource: SOURCE,
    });
    exporter.start();
    return exporter;
  };
  return runGreengrassApp<
    GreengrassConfig,
    { store: GatewayStore; sink: RecordSink; signer: BatchSigner; exporter: StreamExporter }
  >({
    schema: greengrassSchema,
    componentName: COMPONENT_NAME,
    log,
    // A proposed configuration is also checked against the other components' site-model claims in the store.
    check: siteModelCheck({
      component: COMPONENT_NAME,
      source: SOURCE,
      storeArg,
      problemsOf,
      claimsOf: (config: GreengrassConfig) => siteClaimsOf(exporterConfigOf(config)),
    }),
    storeArg,
    start: async (config, storePath, greengrass) => {
      const own = exporterConfigOf(config);
      const signer = await signerFor(own, storePath, greengrass, log);
      const store = openStore(storePath, { log, mmapBytes: EXPORTER_MMAP_BYTES });
      const sink = await sinkFor(own, greengrass, log);
      log.info(
        { target: own.target, stream: own.streamName, kinesisStream: own.kinesisStreamName },
        'stream exporter starting',
      );
      return { store, sink, signer, exporter: startExporter(own, store, sink, signer) };
    },
    apply: async (app, config) => {
      const own = exporterConfigOf(config);
      app.store.publishSiteClaims(COMPONENT_NAME, SOURCE, siteClaimsOf(own)); // a contradiction keeps the running one
      await app.exporter.stop();
      app.exporter = startExporter(own, app.store, app.sink, app.signer);
      log.info('stream exporter reconfigured');
    },
    stop: async (app) => {
      await app.exporter.stop();
      app.sink.close();
      app.store.close();
    },
    summary: (app) => ({ status: app.exporter.status() }),
  });
}
