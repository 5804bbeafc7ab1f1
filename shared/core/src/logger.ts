import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they sit (top level down to four objects deep). */
const SECRET_KEYS = [
  'password',
  'passwd',
  'token',
  'authToken',
  'accessToken',
  'access_token',
  'refreshToken',
  'sessionToken',
  'secret',
  'clientSecret',
  'client_secret',
  'secretAccessKey',
  'apiKey',
  'privateKey',
  'authorization',
];

/** Paths whose values never reach a log line (pino/fast-redact syntax). */
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`, `*.*.*.*.${k}`]),
  'config.endpoints[*].password',
  'req.headers.authorization',
];

export interface LoggerSettings {
  component: string;
  level?: LoggerOptions['level'];
  destination?: DestinationStream;
}

/**
 * One root logger per process, named by component; stages take a child: `log.child({ stage: 'poll' })`.
 * Level from `settings.level`, else env `LOG_LEVEL`, else `info`. Logs go to stderr so stdout stays for output.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { component: settings.component },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, settings.destination ?? pino.destination(2));
}

export function stageLogger(log: Logger, stage: string, bindings: Record<string, unknown> = {}): Logger {
  return log.child({ stage, ...bindings });
}

/** A logger that writes nothing, for tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
