import type { Logger } from '@pcf-edge/core';
import type { FastifyChildLoggerFactory } from 'fastify/types/logger';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArgs = Parameters<Logger['info']>;

/**
 * A request's logger, created on first use at an enabled level. Fastify makes one child logger per request, and
 * pino's `child()` runs every redaction path over the bindings: on a cached read that cost more than the rest of
 * the request, while most requests never log. The child, once made, is the ordinary redacting pino child.
 */
class LazyChildLogger {
  private made?: Logger;
  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: Record<string, unknown>,
  ) {}
  private get real(): Logger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }
  private emit(level: Level, args: LogArgs): void {
    if (this.made ? this.made.isLevelEnabled(level) : this.parent.isLevelEnabled(level))
      (this.real[level] as (...a: LogArgs) => void)(...args);
  }
  get level(): string {
    return this.made?.level ?? this.parent.level;
  }
  set level(value: string) {
    this.real.level = value;
  }
  fatal(...args: LogArgs): void {
    this.emit('fatal', args);
  }
  error(...args: LogArgs): void {
    this.emit('error', args);
  }
  warn(...args: LogArgs): void {
    this.emit('warn', args);
  }
  info(...args: LogArgs): void {
    this.emit('info', args);
  }
  debug(...args: LogArgs): void {
    this.emit('debug', args);
  }
  trace(...args: LogArgs): void {
    this.emit('trace', args);
  }
  silent(): void {
    /* level 'silent' logs nothing */
  }
  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): Logger {
    return this.real.child(bindings, options);
  }
}

/** Fastify `childLoggerFactory`: lazy per-request loggers (eager when the route sets its own options, e.g. a level). */
export function lazyChildLoggerFactory(parent: Logger): FastifyChildLoggerFactory {
  return (_logger, bindings, options) => {
    const opts = options as Record<string, unknown>;
    const child =
      Object.keys(opts).length > 0 ? parent.child(bindings, opts) : new LazyChildLogger(parent, bindings, opts);
    return child as unknown as ReturnType<FastifyChildLoggerFactory>;
  };
}
