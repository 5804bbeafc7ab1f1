import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Logger, type SemanticCheck, untilSignal } from '@pcf-edge/core';
import type { GreengrassAdapter } from './adapter';
import { type ConfigRunner, RESTART_EXIT_CODE, runWithConfig } from './run-with-config';

export interface GreengrassAppOptions<C extends { storePath: string }, A> {
  schema: object;
  componentName: string;
  log: Logger;
  check?: SemanticCheck<C>;
  /** The `--store` the recipe passes; the configuration's `storePath` when absent. */
  storeArg: string | undefined;
  /**
   * Starts the component on the first valid configuration; the store's folder exists and `greengrass` is the
   * connected IPC adapter (e.g. to look up Stream Manager's port); RUNNING is reported once it returns.
   */
  start: (config: Readonly<C>, storePath: string, greengrass: GreengrassAdapter) => A | Promise<A>;
  /** Applies a later live-safe configuration change to the running component. */
  apply: (app: A, config: Readonly<C>) => void | Promise<void>;
  /** Stops the component and closes what it opened (store, writers). */
  stop: (app: A) => void | Promise<void>;
  /** What to log when the component stops (e.g. its counters). */
  summary?: (app: A) => Record<string, unknown>;
  /** Injected for tests; default `untilSignal`. */
  until?: () => Promise<unknown>;
  /** Injected for tests (IPC socket and token); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a component under Greengrass until SIGINT/SIGTERM (then resolves 0): configuration from the nucleus,
 * live changes through `apply`, restart-only changes and a lost IPC connection stop the component and exit
 * RESTART_EXIT_CODE so that the nucleus starts it again (ADR 0070).
 */
export async function runGreengrassApp<C extends { storePath: string }, A>(
  options: GreengrassAppOptions<C, A>,
): Promise<number> {
  const { log } = options;
  let app: A | undefined;
  const shutdown = async (): Promise<void> => {
    const running = app;
    app = undefined;
    if (running !== undefined) await options.stop(running);
  };
  // The stop signal is awaited from the start: RUNNING is reported inside runWithConfig, and a SIGTERM sent as soon as
  // the nucleus sees it must find this handler, not Node's default one (which killed the process: exit by signal, no
  // stop summary). A signal during start-up stops the component once it is up (start-up is bounded IPC calls).
  const stopRequested = (options.until ?? untilSignal)();
  const runner: ConfigRunner<C> = await runWithConfig<C>({
    schema: options.schema,
    componentName: options.componentName,
    log,
    ...(options.check ? { check: options.check } : {}),
    ...(options.env ? { env: options.env } : {}),
    onConfig: async (config, { greengrass }) => {
      if (app !== undefined) return options.apply(app, config);
      const storePath = options.storeArg ?? config.storePath;
      mkdirSync(dirname(storePath), { recursive: true });
      // No config file is given, so runWithConfig starts only under Greengrass, with the adapter connected.
      if (!greengrass)
        throw new Error(`internal: ${options.componentName} got a configuration without a Greengrass connection`);
      app = await options.start(config, storePath, greengrass);
      log.info({ storePath }, `${options.componentName} started under Greengrass`);
    },
    requestRestart: (reason) => {
      log.warn({ reason, exitCode: RESTART_EXIT_CODE }, 'exiting so that Greengrass restarts the component');
      void shutdown().finally(() => process.exit(RESTART_EXIT_CODE));
    },
  });
  await stopRequested;
  await runner.stop();
  const summary = app !== undefined && options.summary ? options.summary(app) : {};
  await shutdown();
  log.info(summary, `${options.componentName} stopped`);
  return 0;
}
