import { join } from 'node:path';
import { useComponentUnderNucleus } from '../../../test-support/greengrass-ipc-server/component-harness';
import { readingsIn } from '../../../test-support/standalone/store';
import { until } from '../../../test-support/standalone/processes';
import { startTestServer, TEST_NS, type TestServer } from './support/server';

/**
 * The collector as a real process (tsx main.ts) under the Greengrass IPC test server, against a real OPC UA server
 * that requires a user name and password over SignAndEncrypt: the password comes only from the IPC secret.
 */
jest.mock('hexy', () => jest.requireActual('./support/hexy-mock').hexyMock);
jest.setTimeout(180_000);
const COMPONENT = 'com.pcfedge.OpcUaCollector';
const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:pcf-edge/plc-1-AbCdEf';
const PASSWORD = 'S3cret-Meter-pw-7731';

const gg = useComponentUnderNucleus({
  component: COMPONENT,
  token: 'opcua-secret-token',
  main: 'components/opcua-collector/src/main.ts',
  tmpPrefix: 'opcua-secret-',
});
let opcua: TestServer;

beforeAll(async () => {
  opcua = await startTestServer(join(gg.tmp, 'server-pki'), [{ name: 'e', dataType: 'UInt32', value: 77 }], {
    users: { meter: PASSWORD },
  });
});
afterAll(async () => {
  await opcua?.stop();
});

function configuration(store: string, accessControl: unknown): Record<string, unknown> {
  return {
    storePath: store,
    site: 'plant-1',
    endpoints: [
      {
        id: 'plc-1',
        url: opcua.url,
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
        userName: 'meter',
        passwordSecret: { arn: ARN },
        pkiDir: join(gg.tmp, 'client-pki'),
        automaticallyAcceptUnknownCertificate: true,
        retry: { initialDelayMs: 200, maxDelayMs: 1000 },
      },
    ],
    meters: [
      {
        id: 'm',
        line: 'L',
        endpoint: 'plc-1',
        points: [{ name: 'e', nodeId: `nsu=${TEST_NS};s=e`, quantity: 'unitsProduced', samplingIntervalMs: 100 }],
      },
    ],
    accessControl,
  };
}

it('reads the OPC UA password from the IPC secret its accessControl allows; good readings flow; the password is never logged', async () => {
  const { server } = gg;
  server.setSecret(ARN, { secretString: PASSWORD });
  const store = gg.storePath('ok');
  server.setConfiguration(
    COMPONENT,
    configuration(store, {
      'aws.greengrass.SecretManager': {
        'com.pcfedge.OpcUaCollector:secrets:1': { operations: ['aws.greengrass#GetSecretValue'], resources: [ARN] },
      },
    }) as never,
  );
  const p = gg.start(store);
  await until('RUNNING', () => server.states.length > 0, 120_000, p.stderr);
  expect(server.states).toEqual([{ component: COMPONENT, state: 'RUNNING' }]);
  expect(server.stats.operations).toContain('aws.greengrass#GetSecretValue');
  const good = await until(
    'a good reading',
    () => readingsIn(store).find((r) => r.meterId === 'm' && r.quality === 'good'),
    120_000,
    p.stderr,
  );
  expect(good.value).toBe(77);
  expect(p.stderr()).not.toContain(PASSWORD);
  expect(p.stdout()).not.toContain(PASSWORD);
});

it('without an accessControl policy for the secret: refuses to start, reports ERRORED and says why', async () => {
  const { server } = gg;
  server.setSecret(ARN, { secretString: PASSWORD });
  const store = gg.storePath('denied');
  server.setConfiguration(COMPONENT, configuration(store, {}) as never);
  const p = gg.start(store);
  expect(await p.exited(120_000)).toBe(1);
  expect(server.states).toEqual([{ component: COMPONENT, state: 'ERRORED' }]);
  expect(p.stderr()).toContain(
    `/endpoints/0/passwordSecret/arn: accessControl allows no aws.greengrass#GetSecretValue on ${ARN}`,
  );
  expect(server.stats.operations).not.toContain('aws.greengrass#GetSecretValue');
});
