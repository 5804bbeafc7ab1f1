import { isPcfError, type Logger } from '@pcf-edge/core';

/** Key-order-independent JSON, for comparing configurations read at different times. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

export interface ConfigReloaderDeps<T> {
  /** Reads the raw configuration (Greengrass-owned keys already removed). */
  fetch(): Promise<Record<string, unknown>>;
  /** Validates, applying defaults; throws PcfError ERR_CONFIG_INVALID listing every problem. */
  validate(raw: Record<string, unknown>): Readonly<T>;
  /** Top-level keys whose change needs a restart. */
  restartKeys: readonly string[];
  onConfig(config: Readonly<T>, change: { previous?: Readonly<T> }): void | Promise<void>;
  restart(reason: string): void;
  log: Logger;
}

export interface ConfigReloader<T> {
  /** Sets the configuration applied at start; events seen before it are replayed as one reload. */
  started(config: Readonly<T>): void;
  /** An update event arrived: re-read, validate and apply (or reject, or restart). Never runs two reloads at once. */
  notify(keyPath: string[]): void;
  current(): Readonly<T> | undefined;
  stats(): { applied: number; rejected: number };
  /** No further reloads start after this. */
  stop(): void;
}

/**
 * Live configuration after start. An update event only names one changed leaf and a deployment sends one per
 * leaf, so each reload re-reads the whole configuration; events that arrive during a reload coalesce into one more.
 */
export function createConfigReloader<T>(deps: ConfigReloaderDeps<T>): ConfigReloader<T> {
  const { log } = deps;
  let current: Readonly<T> | undefined;
  let dirty = false;
  let reloading = false;
  let stopped = false;
  /** The last rejected configuration: several events for one bad deployment log it once. */
  let lastRejected: string | undefined;
  const counts = { applied: 0, rejected: 0 };

  async function readValid(): Promise<Readonly<T> | undefined> {
    let raw: Record<string, unknown>;
    try {
      raw = await deps.fetch();
    } catch (err) {
      log.error({ err }, 'configuration update could not be read; keeping the running configuration');
      return undefined;
    }
    try {
      const next = deps.validate(raw);
      lastRejected = undefined;
      return next;
    } catch (err) {
      if (!isPcfError(err, 'ERR_CONFIG_INVALID')) throw err;
      if (lastRejected !== canonicalJson(raw)) {
        lastRejected = canonicalJson(raw);
        counts.rejected += 1;
        log.error({ errors: err.details.errors }, 'configuration update rejected; keeping the running configuration');
      }
      return undefined;
    }
  }

  async function reloadOnce(): Promise<void> {
    const next = await readValid();
    const previous = current;
    if (next === undefined || previous === undefined) return;
    const before = previous as Record<string, unknown>;
    const after = next as Record<string, unknown>;
    const changed = deps.restartKeys.filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k]));
    if (changed.length > 0) {
      stopped = true;
      deps.restart(`restart-only settings changed: ${changed.join(', ')}`);
      return;
    }
    if (canonicalJson(previous) === canonicalJson(next)) return;
    try {
      await deps.onConfig(next, { previous });
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
      while (dirty && !stopped) {
        dirty = false;
        await reloadOnce();
      }
    } finally {
      reloading = false;
    }
  }

  function kick(): void {
    if (current === undefined || reloading || stopped || !dirty) return;
    reloadLoop().catch((err: unknown) => log.error({ err }, 'configuration reload failed'));
  }

  return {
    started(config) {
      current = config;
      counts.applied += 1;
      kick();
    },
    notify(keyPath) {
      log.debug({ keyPath }, 'configuration update event');
      dirty = true;
      kick();
    },
    current: () => current,
    stats: () => ({ ...counts }),
    stop() {
      stopped = true;
    },
  };
}
