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
import { recipeYaml, stampRecipe } from './recipe';

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
    Lifecycle: { Run: { Script: string }; Install?: { Script: string } };
    Artifacts: { Uri: string; Unarchive: string }[];
  }[];
}

/** The module each recipe's configuration is checked with: its schema plus the component's own checks. */
const MODULES: Record<string, { greengrassSchema: object; check: (c: never) => unknown }> = {
  'com.pcfedge.ModbusCollector': { greengrassSchema: modbus.greengrassSchema, check: modbus.collectorConfigOf },
  'com.pcfedge.OpcUaCollector': { greengrassSchema: opcua.greengrassSchema, check: opcua.collectorConfigOf },
  'com.pcfedge.LineAggregator': { greengrassSchema: aggregator.greengrassSchema, check: aggregator.aggregatorConfigOf },
  'com.pcfedge.StreamExporter': { greengrassSchema: exporter.greengrassSchema, check: exporter.exporterConfigOf },
};

const sourceOf = (name: string): string => readFileSync(join(ROOT, 'recipes', `${name}.yaml`), 'utf8');
const recipeOf = (name: string): Recipe => parse(sourceOf(name)) as Recipe;

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

  it('has Linux amd64 and aarch64 manifests running the zip with node, the work folder and the shared store', () => {
    expect(recipe.Manifests.map((m) => `${m.Platform.os}/${m.Platform.architecture}`)).toEqual([
      'linux/amd64',
      'linux/aarch64',
    ]);
    for (const m of recipe.Manifests) {
      expect(m.Lifecycle.Run.Script).toBe(
        `cd '{work:path}' && exec node '{artifacts:decompressedPath}/${dir}/main.js' --store '{configuration:/storePath}'`,
      );
      expect(m.Artifacts).toEqual([
        { Uri: `s3://BUCKET_NAME/COMPONENT_NAME/COMPONENT_VERSION/${dir}.zip`, Unarchive: 'ZIP' },
      ]);
    }
  });
});

describe('recipes together', () => {
  it('the exporter depends hard on Stream Manager 2.x; the others depend on nothing', () => {
    expect(recipeOf('com.pcfedge.StreamExporter').ComponentDependencies).toEqual({
      'aws.greengrass.StreamManager': { VersionRequirement: '^2.0.0', DependencyType: 'HARD' },
    });
    for (const n of ['com.pcfedge.ModbusCollector', 'com.pcfedge.OpcUaCollector', 'com.pcfedge.LineAggregator'])
      expect(recipeOf(n).ComponentDependencies).toBeUndefined();
  });

  it('only the line aggregator may publish, and only to its own topic', () => {
    expect(recipeOf('com.pcfedge.LineAggregator').ComponentConfiguration.DefaultConfiguration.accessControl).toEqual({
      'aws.greengrass.ipc.pubsub': {
        'com.pcfedge.LineAggregator:pubsub:1': expect.objectContaining({
          operations: ['aws.greengrass#PublishToTopic'],
          resources: ['pcf-edge/rollups/lines'],
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

  it('stamps the version and artifact URIs, keeping BUCKET_NAME for gdk publish', () => {
    const r = stampRecipe(source, 'com.pcfedge.StreamExporter', '1.2.3', ['amd64', 'aarch64']) as unknown as Recipe;
    expect(r.ComponentVersion).toBe('1.2.3');
    expect(r.Manifests.map((m) => m.Artifacts[0]!.Uri)).toEqual(
      Array(2).fill('s3://BUCKET_NAME/com.pcfedge.StreamExporter/1.2.3/stream-exporter.zip'),
    );
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
