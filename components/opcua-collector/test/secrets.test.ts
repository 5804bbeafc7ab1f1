import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPcfError, PcfError, silentLogger, validateConfig } from '@pcf-edge/core';
import { createGreengrassAdapter, type GreengrassAdapter } from '@pcf-edge/greengrass-ipc';
import { createIpcTestServer, type IpcTestServer } from '../../../test-support/greengrass-ipc-server/server';
import { loadOpcUaConfig, validateOpcUaConfig, type OpcUaCollectorConfig } from '../src/config';
import { collectorConfigOf, greengrassSchema, problemsOf, type GreengrassConfig } from '../src/greengrass-config';
import { withSecretPasswords } from '../src/secrets';

/**
 * Passwords under Greengrass: read through IPC GetSecretValue from aws.greengrass.SecretManager (the IPC test
 * server, which authorises by the component's accessControl as the nucleus does), and the configurations refused.
 */
const COMPONENT = 'com.pcfedge.OpcUaCollector';
const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:pcf-edge/plc-1-AbCdEf';
const OTHER = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:other-XyZ123';
const PASSWORD = 'S3cret-Meter-pw-7731';

const allow = (...resources: string[]) => ({
  'aws.greengrass.SecretManager': {
    'com.pcfedge.OpcUaCollector:secrets:1': { operations: ['aws.greengrass#GetSecretValue'], resources },
  },
});

function endpoint(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'plc-1',
    url: 'opc.tcp://127.0.0.1:4840',
    securityMode: 'SignAndEncrypt',
    securityPolicy: 'Basic256Sha256',
    userName: 'meter',
    passwordSecret: { arn: ARN },
    ...extra,
  };
}

/** A Greengrass configuration of one endpoint; `accessControl` null leaves the key out. */
function greengrassConfig(e: Record<string, unknown>, accessControl: unknown = allow(ARN)): Record<string, unknown> {
  return {
    storePath: '/greengrass/v2/work/pcf-edge/gateway.sqlite',
    site: 'plant-1',
    endpoints: [e],
    meters: [],
    ...(accessControl === null ? {} : { accessControl }),
  };
}

const problems = (c: Record<string, unknown>): string[] => {
  try {
    validateConfig<GreengrassConfig>(c, greengrassSchema, 'test', problemsOf);
    return [];
  } catch (err) {
    if (isPcfError(err, 'ERR_CONFIG_INVALID')) return err.details.errors as string[];
    throw err;
  }
};

describe('reading a password secret through Greengrass IPC', () => {
  let server: IpcTestServer;
  let adapter: GreengrassAdapter;

  beforeAll(async () => {
    server = createIpcTestServer({ tokens: { t: COMPONENT } });
    await server.start();
    adapter = createGreengrassAdapter({ componentName: COMPONENT, log: silentLogger(), env: server.envFor('t') });
    await adapter.connect();
  });
  afterAll(async () => {
    await adapter?.close();
    await server?.stop();
  });

  const resolve = (e: Record<string, unknown>, accessControl: unknown = allow(ARN)) => {
    const config = greengrassConfig(e, accessControl);
    server.setConfiguration(COMPONENT, config as never);
    const checked = validateConfig<GreengrassConfig>(config, greengrassSchema, 'test', problemsOf);
    return withSecretPasswords(collectorConfigOf(checked), adapter);
  };
  const failure = async (p: Promise<unknown>): Promise<PcfError> => {
    try {
      await p;
    } catch (err) {
      if (isPcfError(err)) return err;
      throw err;
    }
    throw new Error('expected a failure');
  };

  it('fills in the secret string as the password; the configuration itself holds none', async () => {
    server.setSecret(ARN, { secretString: PASSWORD });
    const config: Readonly<OpcUaCollectorConfig> = await resolve(endpoint());
    expect(config.endpoints[0]?.password).toBe(PASSWORD);
    expect(config.endpoints[0]?.passwordSecret).toEqual({ arn: ARN });
    expect(server.stats.operations).toContain('aws.greengrass#GetSecretValue');
  });

  it("takes a key/value secret's key", async () => {
    server.setSecret(ARN, { secretString: JSON.stringify({ username: 'meter', password: PASSWORD }) });
    const config = await resolve(endpoint({ passwordSecret: { arn: ARN, key: 'password' } }));
    expect(config.endpoints[0]?.password).toBe(PASSWORD);
  });

  it('names the secret and why it could not be used, never the value', async () => {
    server.setSecret(ARN, { secretString: JSON.stringify({ user: 'meter' }) });
    const noKey = await failure(resolve(endpoint({ passwordSecret: { arn: ARN, key: 'password' } })));
    expect(noKey.code).toBe('ERR_SECRET');
    expect(noKey.message).toBe(`endpoint plc-1: password secret ${ARN} is not a JSON object with a string 'password'`);

    server.setSecret(ARN, { secretBinary: Buffer.from(PASSWORD) });
    expect((await failure(resolve(endpoint()))).message).toContain('holds binary data');

    const gone = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:gone-AAAAAA';
    const missing = await failure(resolve(endpoint({ passwordSecret: { arn: gone } }), allow(gone)));
    expect(missing.code).toBe('ERR_SECRET');
    expect(missing.message).toContain('ResourceNotFoundError (aws.greengrass.SecretManager does not hold it');
    expect(JSON.stringify([noKey, missing].map((e) => [e.message, e.details]))).not.toContain(PASSWORD);
  });

  it('is refused by the nucleus when accessControl does not allow that secret', async () => {
    server.setSecret(ARN, { secretString: PASSWORD });
    // The component's own check refuses this configuration before it asks; here it asks anyway, as a component
    // without that check would, and the nucleus (the test server) refuses by the accessControl it holds.
    server.setConfiguration(COMPONENT, greengrassConfig(endpoint(), null) as never);
    const own = validateOpcUaConfig({ site: 'plant-1', endpoints: [endpoint()], meters: [] }, 'test');
    const err = await failure(withSecretPasswords(own, adapter));
    expect(err.message).toBe(
      `endpoint plc-1: password secret ${ARN} could not be read: UnauthorizedError (the component's accessControl does not allow aws.greengrass#GetSecretValue on it)`,
    );
  });
});

describe('configurations refused', () => {
  it('a password (plain or secret) with securityMode None, naming why', () => {
    for (const e of [
      endpoint({ securityMode: 'None', securityPolicy: 'None' }),
      endpoint({ securityMode: 'None', securityPolicy: 'None', passwordSecret: undefined, password: 'x' }),
    ]) {
      const key = e.password === undefined ? 'passwordSecret' : 'password';
      expect(() => validateOpcUaConfig({ site: 's', endpoints: [e], meters: [] }, 'test')).toThrow(
        expect.objectContaining({
          code: 'ERR_CONFIG_INVALID',
          details: expect.objectContaining({
            errors: [
              `/endpoints/0/${key}: a password with securityMode None would cross the network in clear; use Sign or SignAndEncrypt`,
            ],
          }) as unknown,
        }),
      );
    }
  });

  it.each(['Basic128Rsa15', 'Basic256'])('the deprecated policy %s unless explicitly allowed', (policy) => {
    const e = endpoint({ securityPolicy: policy });
    expect(problems(greengrassConfig(e))).toEqual([
      `/endpoints/0/securityPolicy: ${policy} is deprecated by OPC UA (SHA-1, RSA PKCS#1 v1.5); use Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss, or set deprecatedSecurityPolicy: allow`,
    ]);
    expect(problems(greengrassConfig({ ...e, deprecatedSecurityPolicy: 'allow' }))).toEqual([]);
  });

  it('under Greengrass, a plain password, naming why', () => {
    const e = endpoint({ passwordSecret: undefined, password: PASSWORD });
    const found = problems(greengrassConfig(e, null));
    expect(found).toEqual([
      '/endpoints/0/password: a password in the component configuration is visible in the deployment and to every component; keep it in AWS Secrets Manager and name it with passwordSecret',
    ]);
    expect(JSON.stringify(found)).not.toContain(PASSWORD);
  });

  it('under Greengrass, an accessControl that allows more or less than the secrets in use', () => {
    const base = '/accessControl/aws.greengrass.SecretManager/com.pcfedge.OpcUaCollector:secrets:1';
    expect(problems(greengrassConfig(endpoint(), null))).toEqual([
      `/endpoints/0/passwordSecret/arn: accessControl allows no aws.greengrass#GetSecretValue on ${ARN} (/accessControl/aws.greengrass.SecretManager)`,
    ]);
    expect(problems(greengrassConfig(endpoint(), allow(ARN, OTHER)))).toEqual([
      `${base}/resources: '${OTHER}' is no endpoint's passwordSecret; allow exactly the secrets read`,
    ]);
    expect(problems(greengrassConfig(endpoint(), allow('*')))).toContain(
      `${base}/resources: '*' is no endpoint's passwordSecret; allow exactly the secrets read`,
    );
    const wider = { 'aws.greengrass.SecretManager': { p: { operations: ['*'], resources: [ARN] } } };
    expect(problems(greengrassConfig(endpoint(), wider))).toEqual([
      "/accessControl/aws.greengrass.SecretManager/p/operations: only aws.greengrass#GetSecretValue is needed, got '*'",
    ]);
    expect(problems(greengrassConfig(endpoint()))).toEqual([]);
  });

  it('a secret ARN that is not one, naming the rule', () => {
    expect(
      problems(greengrassConfig(endpoint({ passwordSecret: { arn: 'my-secret' } }), allow('my-secret'))),
    ).toContain(
      '/endpoints/0/passwordSecret/arn: passwordSecret.arn must be a Secrets Manager secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>; got "my-secret"',
    );
  });

  it('in a configuration file, a passwordSecret (only Greengrass can read it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opcua-secret-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ site: 's', endpoints: [endpoint()], meters: [] }));
      expect(() => loadOpcUaConfig(file)).toThrow(
        '/endpoints/0/passwordSecret: needs Greengrass (aws.greengrass.SecretManager); in a configuration file give password',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
