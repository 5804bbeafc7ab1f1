import { watchFile, unwatchFile } from 'node:fs';
import { isPcfError, restartKeys, type Logger } from '@pcf-edge/core';
import { configSchema, loadCollectorConfig, type CollectorConfig } from './config';

export interface ConfigWatcher {
  stop(): void;
}

/**
 * Watches the config file (stat polling every `intervalMs`, which survives editors that replace the file). A
 * changed file is validated first: a valid one goes to `apply`; an invalid one is logged with every bad path and
 * ignored, so the collector keeps running on the config it has. Changes to keys marked `x-restart` are logged;
 * they take effect at the next restart.
 */
export function watchConfig(
  file: string,
  current: () => Readonly<CollectorConfig>,
  apply: (config: Readonly<CollectorConfig>) => Promise<void>,
  log: Logger,
  intervalMs = 1000,
): ConfigWatcher {
  const restartOnly = restartKeys(configSchema as never);
  let chain: Promise<void> = Promise.resolve();
  const listener = (curr: { mtimeMs: number }, prev: { mtimeMs: number }) => {
    if (curr.mtimeMs === prev.mtimeMs) return;
    chain = chain
      .then(async () => {
        let next: Readonly<CollectorConfig>;
        try {
          next = loadCollectorConfig(file);
        } catch (err) {
          const errors = isPcfError(err) ? err.details.errors : undefined;
          log.error({ err, file, errors }, 'config change rejected; keeping the running config');
          return;
        }
        const old = current() as unknown as Record<string, unknown>;
        const changed = restartOnly.filter(
          (k) => JSON.stringify(old[k]) !== JSON.stringify((next as unknown as Record<string, unknown>)[k]),
        );
        if (changed.length > 0)
          log.warn({ file, keys: changed }, 'config keys changed that apply only after a restart');
        await apply(next);
        log.info({ file }, 'config reloaded');
      })
      .catch((err: unknown) => log.error({ err, file }, 'config reload failed'));
  };
  watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return { stop: () => unwatchFile(file, listener) };
}
