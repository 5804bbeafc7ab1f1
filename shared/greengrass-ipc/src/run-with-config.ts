import {
  isPcfError,
  loadConfig,
  type Logger,
  PcfError,
  restartKeys,
  type SemanticCheck,
  validateConfig,
} from '@pcf-edge/core';
import { createGreengrassAdapter, type GreengrassAdapter } from './adapter';
import { createConfigReloader } from './config-reloader';
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
   * Applies a configuration: once at start (`previous` undefined; under Greengrass `greengrass` is the connected
   * IPC adapter, before RUNNING is reported), then for every valid live-safe change. Never called concurrently.
   * A throw at start is fatal; a throw on a change keeps the previous configuration.
   */
  onConfig: (
    config: Readonly<T>,
    change: { previous?: Readonly<T>; greengrass?: GreengrassAdapter },
  ) => void | Promise<void>;
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
  /** Configurations applied (start included) and updates rejected as invalid. */
  stats(): { applied: number; rejected: number };
  stop(): Promise<void>;
}

/** Greengrass adds the recipe's IPC `accessControl` policy to the component configuration; it is not ours. */
const GREENGRASS_KEYS = ['accessControl'];

function withoutGreengrassKeys(
  raw: Record<string, unknown>,
  schema: { properties?: Record<string, unknown> },
): Record<string, unknown> {
  const copy = { ...raw };
  for (const k of GREENGRASS_KEYS) if (!schema.properties?.[k]) delete copy[k];
  return copy;
}

/**
 * Starts a component from its configuration. Outside Greengrass: loads `configFile` once. Under Greengrass:
 * connects IPC, subscribes to configuration updates and to pre-deployment validation, then reads and validates
 * the configuration, applies it and reports RUNNING. Later updates: invalid ⇒ logged with every path and
 * ignored; restart-only keys changed ⇒ `requestRestart`; otherwise applied live through `onConfig`.
 * A configuration that cannot start (or an `onConfig` that throws at start) is logged, reported ERRORED under
 * Greengrass, and `exit(1)` is called; if `exit` returns (tests), the promise rejects with the error.
 */
export async function runWithConfig<T>(options: RunWithConfigOptions<T>): Promise<ConfigRunner<T>> {
  const { schema, log, onConfig } = options;
  const env = options.env ?? process.env;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const fatal = (err: unknown): never => {
    log.fatal({ err, errors: isPcfError(err) ? err.details.errors : undefined }, 'component cannot start');
    exit(1);
    throw err;
  };

  if (isGreengrass(env)) return runUnderGreengrass(options, env, fatal);
  try {
    if (!options.configFile) throw new PcfError('ERR_USAGE', 'not running under Greengrass and no config file given');
    const config = loadConfig<T>(options.configFile, schema, options.check, log);
    await onConfig(config, {});
    return {
      config: () => config,
      greengrass: undefined,
      stats: () => ({ applied: 1, rejected: 0 }),
      stop: () => Promise.resolve(),
    };
  } catch (err) {
    return fatal(err);
  }
}

async function runUnderGreengrass<T>(
  options: RunWithConfigOptions<T>,
  env: NodeJS.ProcessEnv,
  fatal: (err: unknown) => never,
): Promise<ConfigRunner<T>> {
  const { schema, componentName, log } = options;
  const requestRestart =
    options.requestRestart ??
    ((reason: string) => {
      log.warn({ reason, exitCode: RESTART_EXIT_CODE }, 'exiting so that Greengrass restarts the component');
      process.exit(RESTART_EXIT_CODE);
    });
  let restarting = false;
  const restart = (reason: string): void => {
    if (restarting) return;
    restarting = true;
    reloader.stop();
    requestRestart(reason);
  };
  const adapter = createGreengrassAdapter({
    componentName,
    log,
    env,
    onDisconnect: (reason) => restart(`Greengrass IPC connection lost: ${reason}`),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const source = `Greengrass configuration of ${componentName}`;
  const validate = (raw: Record<string, unknown>): Readonly<T> =>
    validateConfig<T>(withoutGreengrassKeys(raw, schema), schema, source, options.check, log);
  const reloader = createConfigReloader<T>({
    fetch: () => adapter.getConfiguration(),
    validate,
    restartKeys: restartKeys(schema),
    onConfig: options.onConfig,
    restart,
    log,
  });
  /** Problems of a configuration a deployment proposes; none ⇒ it can be applied (live or by restart). */
  const problemsOf = (proposed: Record<string, unknown>): string[] => {
    try {
      validate(proposed);
      return [];
    } catch (err) {
      return isPcfError(err, 'ERR_CONFIG_INVALID') ? (err.details.errors as string[]) : [(err as Error).message];
    }
  };

  try {
    await adapter.connect();
    await adapter.subscribeToConfigurationUpdates((keyPath) => reloader.notify(keyPath));
    await adapter.subscribeToValidateConfigurationUpdates(problemsOf);
    const config = validate(await adapter.getConfiguration());
    await options.onConfig(config, { greengrass: adapter });
    await adapter.updateState('RUNNING');
    reloader.started(config);
  } catch (err) {
    reloader.stop();
    restarting = true;
    await adapter.updateState('ERRORED').catch((e: unknown) => log.warn({ err: e }, 'could not report ERRORED'));
    await adapter.close();
    return fatal(err);
  }

  return {
    config: () => reloader.current() as Readonly<T>,
    greengrass: adapter,
    stats: () => reloader.stats(),
    async stop() {
      reloader.stop();
      restarting = true;
      await adapter.close();
    },
  };
}
