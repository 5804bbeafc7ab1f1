import { spawnSync } from 'node:child_process';

/**
 * What the Greengrass nucleus does with a recipe's Lifecycle before it runs a step, modelled on
 * aws-greengrass-nucleus KernelConfigResolver (interpolate/replace) and its shell runner, for tests that run the
 * recipes' steps as a gateway would:
 *
 * - the manifest is the first whose Platform matches (os, architecture);
 * - every string in its Lifecycle (Setenv included) is interpolated, first `{namespace:key}` (configuration JSON
 *   pointers; artifacts:path|decompressedPath, work:path, kernel:rootPath, iot:thingName), then
 *   `{component:namespace:key}` for direct dependencies only; the replacement is plain text substitution (a leaf
 *   value's text, a container's JSON, no escaping of any kind), and an unknown or missing key is left as written;
 * - a step runs as `sh -c <Script>` with the lifecycle's Setenv and the step's own Setenv in its environment.
 */
export interface RecipeDoc {
  ComponentName: string;
  ComponentDependencies?: Record<string, unknown>;
  ComponentConfiguration?: { DefaultConfiguration?: Record<string, unknown> };
  Manifests: { Platform?: { os?: string; architecture?: string }; Lifecycle?: Record<string, unknown> }[];
}

/** One deployed component as the nucleus sees it: its recipe, merged configuration and folders. */
export interface DeployedComponent {
  recipe: RecipeDoc;
  configuration: Record<string, unknown>;
  /** `{artifacts:path}` and `{artifacts:decompressedPath}`. */
  artifactsPath: string;
  decompressedPath: string;
  /** `{work:path}`. */
  workPath: string;
}

export interface Nucleus {
  /** `{kernel:rootPath}`. */
  rootPath: string;
  thingName: string;
  components: Record<string, DeployedComponent>;
}

const SAME = /\{([.\w]+):([^:}]+)\}/g;
const CROSS = /\{([.\w]+):([.\w]+):([^:}]+)\}/g;

/** RFC 6901 pointer lookup; undefined when a segment is missing. */
function atPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function configurationText(config: Record<string, unknown>, pointer: string): string | undefined {
  const v = atPointer(config, pointer);
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function systemText(nucleus: Nucleus, c: DeployedComponent, namespace: string, key: string): string | undefined {
  if (namespace === 'artifacts' && key === 'path') return c.artifactsPath;
  if (namespace === 'artifacts' && key === 'decompressedPath') return c.decompressedPath;
  if (namespace === 'work' && key === 'path') return c.workPath;
  if (namespace === 'kernel' && key === 'rootPath') return nucleus.rootPath;
  if (namespace === 'iot' && key === 'thingName') return nucleus.thingName;
  return undefined;
}

function lookup(nucleus: Nucleus, c: DeployedComponent, namespace: string, key: string): string | undefined {
  return namespace === 'configuration'
    ? configurationText(c.configuration, key)
    : systemText(nucleus, c, namespace, key);
}

/** Every occurrence of `target` in `text` replaced by `value` literally (Java's String.replace). */
const replaceAll = (text: string, target: string, value: string): string => text.split(target).join(value);

/**
 * One string of a Lifecycle, interpolated as the nucleus does: the same-component matches are found in the
 * original text, the cross-component ones in the text after that pass; each replaces every occurrence literally.
 */
export function interpolate(text: string, name: string, nucleus: Nucleus): string {
  const self = nucleus.components[name];
  if (!self) throw new Error(`${name} is not deployed`);
  let out = text;
  for (const m of text.matchAll(SAME)) {
    const value = lookup(nucleus, self, m[1] as string, m[2] as string);
    if (value !== undefined) out = replaceAll(out, m[0], value);
  }
  const dependencies = Object.keys(self.recipe.ComponentDependencies ?? {});
  for (const m of out.matchAll(CROSS)) {
    const [whole, target, namespace, key] = m as unknown as [string, string, string, string];
    const dep = nucleus.components[target];
    if (!dependencies.includes(target) || !dep) continue;
    const value = lookup(nucleus, dep, namespace, key);
    if (value !== undefined) out = replaceAll(out, whole, value);
  }
  return out;
}

function interpolateTree(node: unknown, name: string, nucleus: Nucleus): unknown {
  if (typeof node === 'string') return interpolate(node, name, nucleus);
  if (node && typeof node === 'object' && !Array.isArray(node))
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTree(v, name, nucleus)]));
  return node;
}

export interface LifecycleStep {
  script: string;
  requiresPrivilege: boolean;
  env: Record<string, string>;
}

/** The interpolated step (`Install`, `Run`, …) of a deployed component on `os`/`architecture`, or undefined. */
export function lifecycleStep(
  nucleus: Nucleus,
  name: string,
  step: string,
  platform: { os: string; architecture: string },
): LifecycleStep | undefined {
  const c = nucleus.components[name];
  if (!c) throw new Error(`${name} is not deployed`);
  const manifest = c.recipe.Manifests.find(
    (m) =>
      (m.Platform?.os ?? platform.os) === platform.os &&
      (m.Platform?.architecture ?? platform.architecture) === platform.architecture,
  );
  if (!manifest) throw new Error(`${name} has no manifest for ${platform.os}/${platform.architecture}`);
  const lifecycle = interpolateTree(manifest.Lifecycle ?? {}, name, nucleus) as Record<string, unknown>;
  const raw = lifecycle[step];
  if (raw === undefined) return undefined;
  const s = (typeof raw === 'string' ? { Script: raw } : raw) as {
    Script: string;
    RequiresPrivilege?: boolean;
    Setenv?: Record<string, string>;
  };
  return {
    script: s.Script,
    requiresPrivilege: s.RequiresPrivilege === true,
    env: { ...((lifecycle.Setenv as Record<string, string> | undefined) ?? {}), ...(s.Setenv ?? {}) },
  };
}

/** Runs a step as the nucleus does on Linux: `sh -c <script>` with its environment (and PATH). */
export function runStep(
  step: LifecycleStep,
  options: { cwd: string; timeoutMs?: number; extraEnv?: Record<string, string> },
): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync('sh', ['-c', step.script], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.extraEnv, ...step.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}
