import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '@pcf-edge/core';
import * as aggregator from '../../components/line-aggregator/src/greengrass-config';
import * as modbus from '../../components/modbus-collector/src/greengrass-config';
import * as opcua from '../../components/opcua-collector/src/greengrass-config';
import * as exporter from '../../components/stream-exporter/src/greengrass-config';
import { COMPONENTS } from './components';
import { checkElf } from './native';
import { NODE_RUNTIME_COMPONENT } from './node-runtime';
import { recipeYaml, stampRecipe } from './recipe';
import { nodeRuntimePin } from './runtime';

const ROOT = resolve(__dirname, '..', '..');

interface Recipe {
  RecipeFormatVersion: string;
  ComponentName: string;
  ComponentVersion: string;
  ComponentDescription: string;
  ComponentPublisher: string;
  ComponentDependencies?: Record<string, { VersionRequirement: string; DependencyType?: string }>;
  ComponentConfiguration: {
    DefaultConfiguration: Record<string, unknown> & {
      accessControl?: Record<string, Record<string, { operations: string[]; resources: string[] }>>;
    };
  };
  Manifests: {
    Platform: { os: string; architecture: string };
    Lifecycle: {
      Setenv: Record<string, string>;
      Run?: { Script: string };
      Install: { Script: string; RequiresPrivilege?: boolean };
    };
    Artifacts: { Uri: string; Unarchive: string; Permission: { Read: string; Execute?: string } }[];
  }[];
}

const RUNTIME_DEPENDENCY = {
  [NODE_RUNTIME_COMPONENT]: { VersionRequirement: `^${nodeRuntimePin().version}`, DependencyType: 'HARD' },
};

/** The module each recipe's configuration is checked with: its schema plus the component's own checks. */
const MODULES: Record<string, { greengrassSchema: object; check: (c: never) => unknown }> = {
  'com.pcfedge.ModbusCollector': { greengrassSchema: modbus.greengrassSchema, check: modbus.collectorConfigOf },
  'com.pcfedge.OpcUaCollector': { greengrassSchema: opcua.greengrassSchema, check: opcua.collectorConfigOf },
  'com.pcfedge.LineAggregator': { greengrassSchema: aggregator.greengrassSchema, check: aggregator.aggregatorConfigOf },
  'com.pcfedge.StreamExporter': { greengrassSchema: exporter.greengrassSchema, check: exporter.exporterConfigOf },
};

const sourceOf = (name: string): string => readFileSync(join(ROOT, 'recipes', `${name}.yaml`), 'utf8');
const recipeOf = (name: string): Recipe => parse(sourceOf(name)) as Recipe;

/** Runtime settings a recipe gives node through Setenv, the same on every platform (ADR 0255, 0261). */
const RUNTIME_TUNING: Record<string, Record<string, string>> = {
  'com.pcfedge.ModbusCollector': { NODE_OPTIONS: '--max-semi-space-size=2 --expose-gc', MALLOC_ARENA_MAX: '1' },
  'com.pcfedge.OpcUaCollector': { NODE_OPTIONS: '--max-semi-space-size=2', MALLOC_ARENA_MAX: '1' },
};

describe.each(COMPONENTS.map((c) => [c.componentName, c.dir] as const))('recipe %s', (name, dir) => {
  const recipe = recipeOf(name);

  it('has the required keys and format version', () => {
    expect(recipe.RecipeFormatVersion).toBe('2020-01-25');
    expect(sourceOf(name)).toMatch(/^RecipeFormatVersion: '2020-01-25'$/m); // quoted: YAML 1.1 would read a date
    expect(recipe.ComponentName).toBe(name);
    expect(recipe.ComponentVersion).toBe('{COMPONENT_VERSION}');
    for (const key of ['ComponentDescription', 'ComponentPublisher'] as const)
      expect(recipe[key]).toEqual(expect.any(String));
  });

  it('default configuration (without accessControl) is valid for the component', () => {
    const { accessControl: _ac, ...config } = recipe.ComponentConfiguration.DefaultConfiguration;
    const checked = validateConfig<never>(config, MODULES[name]!.greengrassSchema, `recipe ${name}`);
    expect(() => MODULES[name]!.check(checked)).not.toThrow();
    expect(config.storePath).toBe('/greengrass/v2/work/pcf-edge/gateway.sqlite');
  });

  it('grants no wildcard IPC access', () => {
    const policies = Object.values(recipe.ComponentConfiguration.DefaultConfiguration.accessControl ?? {}).flatMap(
      (byId) => Object.values(byId),
    );
    for (const p of policies) {
      for (const r of p.resources) expect(r).not.toMatch(/[*#+]/);
      for (const o of p.operations) expect(o).not.toMatch(/\*/);
    }
  });

  it('has Linux amd64 and aarch64 manifests: lifecycle.sh installs the store folder and runs the zip with the runtime node', () => {
    expect(recipe.Manifests.map((m) => `${m.Platform.os}/${m.Platform.architecture}`)).toEqual([
      'linux/amd64',
      'linux/aarch64',
    ]);
    for (const m of recipe.Manifests) {
      expect(m.Lifecycle.Setenv).toEqual({
        PCF_EDGE_ARTIFACT: `{artifacts:decompressedPath}/${dir}-${m.Platform.architecture}`,
        PCF_EDGE_WORK: '{work:path}',
        PCF_EDGE_GREENGRASS_ROOT: '{kernel:rootPath}',
        PCF_EDGE_STORE: '{configuration:/storePath}',
        PCF_EDGE_NODE: `{${NODE_RUNTIME_COMPONENT}:configuration:/nodePath}`,
        PCF_EDGE_RUNTIME_NODE: `{${NODE_RUNTIME_COMPONENT}:artifacts:decompressedPath}/node-runtime-${m.Platform.architecture}/bin/node`,
        ...(RUNTIME_TUNING[name] ?? {}),
      });
      expect(m.Lifecycle.Install).toEqual({
        RequiresPrivilege: true,
        Script: 'sh "$PCF_EDGE_ARTIFACT/lifecycle.sh" install-store',
      });
      expect(m.Lifecycle.Run?.Script).toBe('exec sh "$PCF_EDGE_ARTIFACT/lifecycle.sh" run');
      expect(m.Artifacts).toEqual([
        {
          Uri: `s3://BUCKET_NAME/COMPONENT_NAME/COMPONENT_VERSION/${dir}-${m.Platform.architecture}.zip`,
          Unarchive: 'ZIP',
          Permission: { Read: 'ALL' },
        },
      ]);
    }
  });
});

describe(`recipe ${NODE_RUNTIME_COMPONENT}`, () => {
  const recipe = recipeOf(NODE_RUNTIME_COMPONENT);

  it('uses the shipped node unless nodePath names another, checked at install by the component user', () => {
    expect(recipe.ComponentConfiguration.DefaultConfiguration).toEqual({ nodePath: '' });
    const schema = JSON.parse(readFileSync(join(ROOT, 'components/node-runtime/config.schema.json'), 'utf8')) as object;
    expect(() => validateConfig(recipe.ComponentConfiguration.DefaultConfiguration, schema, 'recipe')).not.toThrow();
    expect(() => validateConfig({ nodePath: 'node' }, schema, 'test')).toThrow('nodePath must be empty');
    expect(recipe.ComponentDependencies).toBeUndefined();
    for (const m of recipe.Manifests) {
      const zip = `node-runtime-${m.Platform.architecture}`;
      expect(m.Lifecycle.Setenv).toEqual({
        PCF_EDGE_ARTIFACT: `{artifacts:decompressedPath}/${zip}`,
        PCF_EDGE_NODE: '{configuration:/nodePath}',
        PCF_EDGE_RUNTIME_NODE: `{artifacts:decompressedPath}/${zip}/bin/node`,
      });
      expect(m.Lifecycle.Install).toEqual({ Script: 'sh "$PCF_EDGE_ARTIFACT/lifecycle.sh" check-node' });
      expect(m.Lifecycle.Run).toBeUndefined();
      expect(m.Artifacts).toEqual([
        {
          Uri: `s3://BUCKET_NAME/COMPONENT_NAME/COMPONENT_VERSION/${zip}.zip`,
          Unarchive: 'ZIP',
          Permission: { Read: 'ALL', Execute: 'ALL' },
        },
      ]);
    }
    expect(recipe.Manifests.map((m) => m.Platform.architecture)).toEqual(['amd64', 'aarch64']);
  });
});

describe('recipes together', () => {
  it('every component depends hard on the runtime it was built for; the exporter also on Stream Manager 2.x', () => {
    expect(recipeOf('com.pcfedge.StreamExporter').ComponentDependencies).toEqual({
      ...RUNTIME_DEPENDENCY,
      'aws.greengrass.StreamManager': { VersionRequirement: '^2.0.0', DependencyType: 'HARD' },
    });
    for (const n of ['com.pcfedge.ModbusCollector', 'com.pcfedge.OpcUaCollector', 'com.pcfedge.LineAggregator'])
      expect(recipeOf(n).ComponentDependencies).toEqual(RUNTIME_DEPENDENCY);
  });

  it('only the line aggregator may publish, and only to its own topics (line rollups, gateway health)', () => {
    expect(recipeOf('com.pcfedge.LineAggregator').ComponentConfiguration.DefaultConfiguration.accessControl).toEqual({
      'aws.greengrass.ipc.pubsub': {
        'com.pcfedge.LineAggregator:pubsub:1': expect.objectContaining({
          operations: ['aws.greengrass#PublishToTopic'],
          resources: ['pcf-edge/rollups/lines', 'pcf-edge/health'],
        }),
      },
    });
    for (const n of ['com.pcfedge.ModbusCollector', 'com.pcfedge.OpcUaCollector', 'com.pcfedge.StreamExporter'])
      expect(recipeOf(n).ComponentConfiguration.DefaultConfiguration.accessControl).toBeUndefined();
  });

  it('publishing per-line rollups is off by default', () => {
    expect(recipeOf('com.pcfedge.LineAggregator').ComponentConfiguration.DefaultConfiguration.lineRollupTopic).toBe('');
  });
});

describe('invalid recipe configurations are caught by the same check', () => {
  it('rejects a key the component does not know and a wrong type, naming each path', () => {
    const config = {
      ...recipeOf('com.pcfedge.ModbusCollector').ComponentConfiguration.DefaultConfiguration,
      pollMs: 5,
      site: 7,
    };
    expect(() => validateConfig(config, modbus.greengrassSchema, 'test')).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        details: expect.objectContaining({
          errors: expect.arrayContaining([expect.stringContaining('pollMs'), expect.stringContaining('/site')]),
        }) as unknown,
      }),
    );
  });

  it.each(COMPONENTS.map((c) => c.componentName))(
    '%s: storePath outside <Greengrass root>/work/pcf-edge/ or with a quote is refused, naming the rule',
    (name) => {
      const { accessControl: _ac, ...defaults } = recipeOf(name).ComponentConfiguration.DefaultConfiguration;
      for (const storePath of [
        '/var/x.sqlite',
        "/greengrass/v2/work/pcf-edge/it's.sqlite",
        '/greengrass/v2/work/pcf-edge/../../x.sqlite',
        '/greengrass/v2/work/pcf-edge/x.sqlite\n',
      ]) {
        const rule =
          "storePath must be <Greengrass root>/work/pcf-edge/<name>.sqlite (folder names and <name> of letters, digits, '.', '_' and '-', not starting with '.' or '-')";
        expect(() => validateConfig({ ...defaults, storePath }, MODULES[name]!.greengrassSchema, 'test')).toThrow(
          expect.objectContaining({
            code: 'ERR_CONFIG_INVALID',
            details: expect.objectContaining({
              errors: [`/storePath: ${rule}; got ${JSON.stringify(storePath)}`],
            }) as unknown,
          }),
        );
      }
      for (const storePath of [
        '/greengrass/v2/work/pcf-edge/gateway.sqlite',
        '/opt/gg/v2/work/pcf-edge/line_2-a.sqlite',
      ])
        expect(() => validateConfig({ ...defaults, storePath }, MODULES[name]!.greengrassSchema, 'test')).not.toThrow();
    },
  );

  it('rejects a wildcard pub/sub topic for line rollups', () => {
    const config = {
      ...recipeOf('com.pcfedge.LineAggregator').ComponentConfiguration.DefaultConfiguration,
      lineRollupTopic: 'pcf-edge/#',
    };
    delete config.accessControl;
    expect(() => validateConfig(config, aggregator.greengrassSchema, 'test')).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});

describe('stampRecipe', () => {
  const source = sourceOf('com.pcfedge.StreamExporter');

  it('stamps the runtime recipe per architecture, each manifest with its own zip', () => {
    const r = stampRecipe(sourceOf(NODE_RUNTIME_COMPONENT), NODE_RUNTIME_COMPONENT, '24.22.3', [
      'aarch64',
    ]) as unknown as Recipe;
    expect(r.Manifests.map((m) => m.Artifacts[0]!.Uri)).toEqual([
      's3://BUCKET_NAME/com.pcfedge.NodeRuntime/24.22.3/node-runtime-aarch64.zip',
    ]);
  });

  it('stamps the version and artifact URIs, keeping BUCKET_NAME for gdk publish', () => {
    const r = stampRecipe(source, 'com.pcfedge.StreamExporter', '1.2.3', ['amd64', 'aarch64']) as unknown as Recipe;
    expect(r.ComponentVersion).toBe('1.2.3');
    expect(r.Manifests.map((m) => m.Artifacts[0]!.Uri)).toEqual([
      's3://BUCKET_NAME/com.pcfedge.StreamExporter/1.2.3/stream-exporter-amd64.zip',
      's3://BUCKET_NAME/com.pcfedge.StreamExporter/1.2.3/stream-exporter-aarch64.zip',
    ]);
    const text = recipeYaml(r as unknown as Record<string, unknown>);
    expect(text).toMatch(/^RecipeFormatVersion: '2020-01-25'$/m);
    expect(text).toMatch(/^ComponentVersion: '1.2.3'$/m);
    expect(parse(text)).toEqual(r);
  });

  it('leaves out the manifests of architectures without a native addon', () => {
    const r = stampRecipe(source, 'com.pcfedge.StreamExporter', '1.2.3', ['amd64']) as unknown as Recipe;
    expect(r.Manifests.map((m) => m.Platform.architecture)).toEqual(['amd64']);
  });

  it('refuses a recipe for another component', () => {
    expect(() => stampRecipe(source, 'com.pcfedge.LineAggregator', '1.0.0', ['amd64'])).toThrow(
      'recipe names com.pcfedge.StreamExporter',
    );
  });
});

describe('checkElf', () => {
  const addon = (platform: string): string =>
    join(ROOT, 'node_modules/aws-crt/dist/bin', platform, 'aws-crt-nodejs.node');

  it('tells an amd64 addon from an aarch64 one', () => {
    expect(() => checkElf(addon('linux-x64-glibc'), 'amd64')).not.toThrow();
    expect(() => checkElf(addon('linux-x64-glibc'), 'aarch64')).toThrow('not aarch64');
    expect(() => checkElf(addon('linux-arm64-glibc'), 'aarch64')).not.toThrow();
    expect(() => checkElf(addon('linux-arm64-glibc'), 'amd64')).toThrow('not amd64');
  });

  it('refuses a file that is not ELF', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elf-'));
    try {
      writeFileSync(join(dir, 'x.node'), 'not a shared object at all');
      expect(() => checkElf(join(dir, 'x.node'), 'amd64')).toThrow('is not an ELF file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
