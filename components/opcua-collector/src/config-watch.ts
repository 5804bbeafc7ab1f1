import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { isPcfError, type Logger } from '@pcf-edge/core';
import { loadOpcUaConfig, type OpcUaCollectorConfig } from './config';

/**
 * Watches the config file (stat polling, which survives editors that replace the file). A changed file is
 * validated first: a valid one is handed to `apply`; an invalid one is logged with every bad path and the
 * collector keeps running on the config it has. Changes to settings marked `x-restart` (batch) are logged as
 * needing a restart.
 */
export interface ConfigWatcher {
  stop(): void;
}

export function watchConfig(
  file: string,
  current: () => Readonly<OpcUaCollectorConfig>,
  apply: (c: Readonly<OpcUaCollectorConfig>) => Promise<void>,
  log: Logger,
  intervalMs = 1000,
): ConfigWatcher {
  let chain: Promise<void> = Promise.resolve();
  const onChange = (now: Stats, prev: Stats): void => {
    if (now.mtimeMs === prev.mtimeMs && now.size === prev.size) return;
    chain = chain
      .then(async () => {
        let next: Readonly<OpcUaCollectorConfig>;
        try {
          next = loadOpcUaConfig(file);
        } catch (err) {
          const errors = isPcfError(err) ? err.details.errors : undefined;
          log.error({ err, file, errors }, 'changed configuration rejected; still running on the previous one');
          return;
        }
        if (JSON.stringify(next.batch) !== JSON.stringify(current().batch)) {
          log.warn({ file }, 'batch settings changed; they apply after a restart');
        }
        await apply(next);
      })
      .catch((err: unknown) => log.error({ err, file }, 'applying the changed configuration failed'));
  };
  watchFile(file, { interval: intervalMs, persistent: false }, onChange);
  return {
    stop() {
      unwatchFile(file, onChange);
    },
  };
}
