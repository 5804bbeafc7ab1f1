import { isPcfError, loadConfig, type Logger, PcfError, restartKeys, type SemanticCheck, validateConfig } from '@pcf-edge/core';
import { createGreengrassAdapter, type GreengrassAdapter } from './adapter';
import { isGreengrass } from './environment';

/**
 * Exit code of the default `requestRestart`. The nucleus treats a Run process that exits 0 as FINISHED and does
 * not start it again; any non-zero exit is ERRORED and the nucleus restarts the component (see ADR 0070).
 */
export const RESTART_EXIT_CODE = 75;

export interface RunWithConfigOptions<T> {
  /** The component's JSON Schema; top-level properties marked `"x-restart": true` need a restart to change. */
  schema: object;
  componentName: string;
  /** Config file read outside Greengrass (required there). */
  configFile?: string;
  check?: SemanticCheck<T>;
  /**
   * Applies a configuration: once at start (`previous` undefined), then for every valid live-safe change. Never
   * called concurrently. A throw at start is fatal; a throw on a change keeps the previous configuration.
   */
  onConfig: (config: Readonly<T>, change: { previous?: Readonly<T> }) => void | Promise<void>;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Called once when a restart-only key changed or IPC was lost; default exits with RESTART_EXIT_CODE. */
  requestRestart?: (reason: string) => void;
  /** Called with 1 after a fatal start; default process.exit. */
  exit?: (code: number) => void;
  /** IPC connect/request timeout, ms. */
  timeoutMs?: number;
}

export interface ConfigRunner<T> {
  /** The configuration currently applied. */
  config(): Readonly<T>;
  /** The IPC adapter when running under Greengrass (Stream Manager port, publish), else undefined. */
  greengrass: GreengrassAdapter | undefined;
  /** Counts for operators and tests. */
  stats(): { applied: number; rejected: number };
  stop(): Promise<void>;
}

/** Greengrass adds the recipe's IPC `accessControl` policy to the component configuration; it is not ours. */
const GREENGRASS_KEYS = ['accessControl'];

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

function withoutGreengrassKeys(raw: Record<string, unknown>, schema: { properties?: Record<string, unknown> }): Record<string, unknown> {
  const copy = { ...raw };
  for (const k of GREENGRASS_KEYS) if (!schema.properties?.[k]) delete copy[k];
  return copy;
}

/**
 * Starts a component from its configuration. Outside Greengrass: loads `configFile` once. Under Greengrass:
 * connects IPC, subscribes to configuration updates, then reads and validates the configuration, applies it and
 * reports RUNNING. Each later update is re-read and validated: invalid ⇒ logged with every path and ignored;
 * restart-only keys changed ⇒ `requestRestart`; otherwise applied live through `onConfig`.
 * A configuration that cannot start (or an `onConfig` that throws at start) is logged, reported ERRORED under
 * Greengrass, and `exit(1)` is called; if `exit` returns (tests), the promise rejects with the error.
 */
export async function runWithConfig<T>(options: RunWithConfigOptions<T>): Promise<ConfigRunner<T>> {
  const { schema, componentName, log, onConfig } = options;
  const env = options.env ?? process.env;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const requestRestart = options.requestRestart ?? ((reason: string) => {
    log.warn({ reason, exitCode: RESTART_EXIT_CODE }, 'exiting so that Greengrass restarts the component');
    process.exit(RESTART_EXIT_CODE);
  });

  const fatal = (err: unknown): never => {
    log.fatal({ err, errors: isPcfError(err) ? err.details.errors : undefined }, 'component cannot start');
    exit(1);
    throw err;
  };

  if (!isGreengrass(env)) {
    try {
      if (!options.configFile) throw new PcfError('ERR_USAGE', 'not running under Greengrass and no config file given');
      const config = loadConfig<T>(options.configFile, schema, options.check);
      await onConfig(config, {});
      return { config: () => config, greengrass: undefined, stats: () => ({ applied: 1, rejected: 0 }), stop: () => Promise.resolve() };
    } catch (err) {
      return fatal(err);
    }
  }

  const source = `Greengrass configuration of ${componentName}`;
  const restartOnly = restartKeys(schema as Parameters<typeof restartKeys>[0]);
  let current: Readonly<T> | undefined;
  let restarting = false;
  let stopped = false;
  let dirty = false;
  let reloading = false;
  const counts = { applied: 0, rejected: 0 };

  const restart = (reason: string): void => {
    if (restarting || stopped) return;
    restarting = true;
    requestRestart(reason);
  };
  const adapter = createGreengrassAdapter({
    componentName, log, env, onDisconnect: (reason) => restart(`Greengrass IPC connection lost: ${reason}`),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const fetch = async (): Promise<Record<string, unknown>> => withoutGreengrassKeys(await adapter.getConfiguration(), schema);
  const validate = (raw: Record<string, unknown>): Readonly<T> => validateConfig<T>(raw, schema, source, options.check);
  /** Problems of a configuration a deployment proposes; none ⇒ it can be applied (live or by restart). */
  const problemsOf = (proposed: Record<string, unknown>): string[] => {
    try {
      validate(withoutGreengrassKeys(proposed, schema));
      return [];
    } catch (err) {
      if (isPcfError(err, 'ERR_CONFIG_INVALID')) return err.details.errors as string[];
      return [(err as Error).message];
    }
  };
  /** Canonical JSON of the last rejected configuration: several events for one bad deployment log it once. */
  let lastRejected: string | undefined;

  async function reloadOnce(): Promise<void> {
    let raw: Record<string, unknown>;
    try {
      raw = await fetch();
    } catch (err) {
      log.error({ err }, 'configuration update could not be read; keeping the running configuration');
      return;
    }
    let next: Readonly<T>;
    try {
      next = validate(raw);
    } catch (err) {
      if (!isPcfError(err, 'ERR_CONFIG_INVALID')) throw err;
      if (lastRejected === canonical(raw)) return;
      lastRejected = canonical(raw);
      counts.rejected += 1;
      log.error({ errors: err.details.errors }, 'configuration update rejected; keeping the running configuration');
      return;
    }
    lastRejected = undefined;
    const previous = current as Readonly<T>;
    const changed = restartOnly.filter((k) => canonical((previous as Record<string, unknown>)[k]) !== canonical((next as Record<string, unknown>)[k]));
    if (changed.length > 0) return restart(`restart-only settings changed: ${changed.join(', ')}`);
    if (canonical(previous) === canonical(next)) return;
    try {
      await onConfig(next, { previous });
      current = next;
      counts.applied += 1;
      log.info('configuration change applied live');
    } catch (err) {
      log.error({ err }, 'configuration change could not be applied; keeping the previous configuration');
    }
  }

  async function reloadLoop(): Promise<void> {
    reloading = true;
    try {
      while (dirty && !restarting && !stopped) {
        dirty = false;
        await reloadOnce();
      }
    } finally {
      reloading = false;
    }
  }

  const startReload = (): void => {
    reloadLoop().catch((err: unknown) => log.error({ err }, 'configuration reload failed'));
  };

  const onChange = (keyPath: string[]): void => {
    log.debug({ keyPath }, 'configuration update event');
    dirty = true;
    if (current !== undefined && !reloading) startReload();
  };

  try {
    await adapter.connect();
    await adapter.subscribeToConfigurationUpdates(onChange);
    await adapter.subscribeToValidateConfigurationUpdates(problemsOf);
    current = validate(await fetch());
    await onConfig(current, {});
    counts.applied += 1;
    await adapter.updateState('RUNNING');
  } catch (err) {
    await adapter.updateState('ERRORED').catch((e: unknown) => log.warn({ err: e }, 'could not report ERRORED'));
    stopped = true;
    await adapter.close();
    return fatal(err);
  }
  if (dirty) startReload();

  return {
    config: () => current as Readonly<T>,
    greengrass: adapter,
    stats: () => ({ ...counts }),
    async stop() {
      stopped = true;
      await adapter.close();
    },
  };
}
