import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { isPcfError } from './errors';
import type { Logger } from './logger';

export interface ConfigFileWatcher {
  stop(): void;
}

export interface ConfigFileWatchOptions<T> {
  file: string;
  /** Reads and validates the file; throws (ERR_CONFIG_INVALID with details.errors) on a bad one. */
  load: (file: string) => Readonly<T>;
  /** The configuration running now. */
  current: () => Readonly<T>;
  /** Applies a valid changed configuration. Calls are never concurrent: a change waits for the one before. */
  apply: (config: Readonly<T>) => Promise<void>;
  /** Top-level keys that apply only after a restart (`restartKeys(schema)`): a change to them is logged. */
  restartKeys: readonly string[];
  log: Logger;
  /** Stat polling period, ms. */
  intervalMs?: number;
}

/**
 * The one configuration-file watcher. Stat polling (which survives editors that replace the file) sees a change
 * of modification time or size; the file is then loaded and validated: a valid one goes to `apply`, an invalid
 * one is logged with every bad path and ignored, so the component keeps running on the configuration it has.
 * Changed restart-only keys are logged; they take effect at the next restart.
 */
export function watchConfigFile<T>(options: ConfigFileWatchOptions<T>): ConfigFileWatcher {
  const { file, load, current, apply, restartKeys, log } = options;
  let chain: Promise<void> = Promise.resolve();
  const reload = async (): Promise<void> => {
    let next: Readonly<T>;
    try {
      next = load(file);
    } catch (err) {
      const errors = isPcfError(err) ? err.details.errors : undefined;
      log.error({ err, file, errors }, 'configuration file change rejected; keeping the running configuration');
      return;
    }
    const old = current() as Record<string, unknown>;
    const fresh = next as Record<string, unknown>;
    const keys = restartKeys.filter((k) => JSON.stringify(old[k]) !== JSON.stringify(fresh[k]));
    if (keys.length > 0) log.warn({ file, keys }, 'configuration keys changed that apply only after a restart');
    await apply(next);
    log.info({ file }, 'configuration file reloaded');
  };
  const listener = (now: Stats, prev: Stats): void => {
    if (now.mtimeMs === prev.mtimeMs && now.size === prev.size) return;
    chain = chain
      .then(reload)
      .catch((err: unknown) => log.error({ err, file }, 'applying the changed configuration file failed'));
  };
  watchFile(file, { interval: options.intervalMs ?? 1000, persistent: false }, listener);
  return { stop: () => unwatchFile(file, listener) };
}
