/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized templates are untyped JSON, read here field by field */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pcf-edge/core';
import {
  API_SECRET_ARN,
  apiSecret,
  DB_SECRET_ARN,
  dbSecretFor,
  dropSchema,
  expectScenario,
  fakeSecrets,
  freshSchemaName,
  runCloudScenario,
  type Entries,
} from '../../test/aws-scenario';
import { PG_URL, pgSkipNotice } from '../../test/pg-support';
import { synthApp, TEST_CONFIG } from './synth';

jest.setTimeout(300_000);

const ENTRY_BY_DESCRIPTION: [RegExp, keyof Entries][] = [
  [/Kinesis consumer/, 'consumer'],
  [/PACT API/, 'api'],
  [/schema migrations/, 'migrate'],
  [/recomputation/, 'recompute'],
];

interface Bundle {
  dir: string;
  environment: Record<string, unknown>;
  module: Record<string, unknown>;
}

/**
 * Synthesizes the app with bundling, finds each function's asset folder through its template's S3 key and the
 * stack's asset manifest, copies the folder out of the repository (so nothing can resolve from its node_modules)
 * and loads index.js with Node's own require, as Lambda does.
 */
function synthesizedBundles(work: string): Map<keyof Entries, Bundle> {
  const outdir = join(work, 'cdk.out');
  const { app, cloud } = synthApp(TEST_CONFIG, { bundle: true, outdir });
  app.synth();
  const template = JSON.parse(readFileSync(join(outdir, `${cloud.artifactId}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  };
  const assets = JSON.parse(readFileSync(join(outdir, `${cloud.artifactId}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging: string } }>;
  };
  const bundles = new Map<keyof Entries, Bundle>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const entry = ENTRY_BY_DESCRIPTION.find(([re]) => re.test(String(r.Properties.Description)))?.[1];
    if (!entry) continue;
    const hash = String(r.Properties.Code.S3Key).replace(/\.zip$/, '');
    const source = assets.files[hash]!.source;
    expect(source.packaging).toBe('zip');
    const dir = join(work, 'bundles', entry);
    cpSync(join(outdir, source.path), dir, { recursive: true });
    // the file the Handler names (main.handler: source maps on, then index.js), loaded as Lambda loads it
    expect(r.Properties.Handler).toBe('main.handler');
    const module = createRequire(join(dir, 'main.js'))('./main.js') as Record<string, unknown>;
    bundles.set(entry, { dir, environment: r.Properties.Environment?.Variables ?? {}, module });
  }
  return bundles;
}

const describePg = PG_URL !== undefined ? describe : describe.skip;
if (PG_URL === undefined) pgSkipNotice('Synthesized Lambda bundles');

describePg('the deployed code is the tested code: synthesized bundles on PostgreSQL', () => {
  const url = PG_URL!;
  const work = mkdtempSync(join(tmpdir(), 'pcf-edge-bundles-'));
  const schema = freshSchemaName();
  let bundles: Map<keyof Entries, Bundle>;
  beforeAll(() => {
    bundles = synthesizedBundles(work);
  });
  afterAll(async () => {
    await dropSchema(url, schema);
    rmSync(work, { recursive: true, force: true });
  });

  it('synthesizes one self-contained bundle per entry', () => {
    expect([...bundles.keys()].sort()).toEqual(['api', 'consumer', 'migrate', 'recompute']);
    for (const [entry, b] of bundles) {
      expect(typeof b.module.handler).toBe('function');
      // beside the bundle only its handler file, and in the API's the dashboard and chart.js it serves
      const extra = readdirSync(b.dir).filter((f) => !/^index\.js(\.map)?$/.test(f));
      expect({ entry, extra: extra.sort() }).toEqual({
        entry,
        extra: entry === 'api' ? ['main.js', 'node_modules', 'public'] : ['main.js'],
      });
      // source maps come from main.js, not NODE_OPTIONS (whose flag made pino's getCallSites parse the map)
      expect(b.environment.NODE_OPTIONS).toBeUndefined();
      expect(b.environment.PCF_EDGE_DB_SSLMODE).toBe('verify-full');
    }
  });

  it('names the TypeScript sources in stack traces, through main.js and without NODE_OPTIONS', () => {
    // a fresh node, as a Lambda cold start: the consumer's factory throws on an environment without a database
    const stackOf = (file: string) => {
      const script = `try { require(${JSON.stringify(file)}).createConsumerHandler({ env: {} }); console.log('no error'); } catch (e) { console.log(e.stack); }`;
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
    };
    const dir = bundles.get('consumer')!.dir;
    const mapped = stackOf(join(dir, 'main.js'));
    expect(mapped).toMatch(/cloud-sink\/src\/[\w/-]+\.ts:\d+:\d+/);
    // the bundle alone (no handler file) names only itself: main.js is what turns the maps on
    expect(stackOf(join(dir, 'index.js'))).not.toMatch(/\.ts:\d+:\d+/);
  });

  it('migrates, imports, ingests Kinesis records, recomputes and answers the PACT API', async () => {
    const factory = (entry: keyof Entries, name: string) => {
      const f = bundles.get(entry)!.module[name];
      expect(typeof f).toBe('function');
      return f as never;
    };
    const entries: Entries = {
      consumer: factory('consumer', 'createConsumerHandler'),
      api: factory('api', 'createApiHandler'),
      migrate: factory('migrate', 'createMigrateHandler'),
      recompute: factory('recompute', 'createRecomputeHandler'),
    };
    const secrets = fakeSecrets(
      new Map([
        [DB_SECRET_ARN, dbSecretFor(url)],
        [API_SECRET_ARN, await apiSecret()],
      ]),
    );
    // the stack's environment, with the values only a deployment resolves replaced by the local ones; TLS off for
    // the local server (the stack sets verify-full, checked above)
    const env: NodeJS.ProcessEnv = {
      PCF_EDGE_DB_SECRET_ARN: DB_SECRET_ARN,
      PCF_EDGE_DB_SSLMODE: 'disable',
      PCF_EDGE_DB_SCHEMA: schema,
      PCF_EDGE_API_SETTINGS_SECRET_ARN: API_SECRET_ARN,
      PCF_EDGE_METRICS_NAMESPACE: String(bundles.get('consumer')!.environment.PCF_EDGE_METRICS_NAMESPACE),
      AWS_LAMBDA_FUNCTION_NAME: 'consumer-fn',
    };
    const log = createLogger({ component: 'bundle-test', level: 'error' });
    const r = await runCloudScenario(entries, { secrets, env, log });
    await expectScenario(r, url, schema);
  });
});
