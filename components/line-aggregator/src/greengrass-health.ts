import type { Logger } from '@pcf-edge/core';
import { type GatewayStore, gatewayHealth, gatewayStatus } from '@pcf-edge/store';

/** The local pub/sub topic the gateway's health goes to (the recipe's accessControl allows exactly it). */
export const HEALTH_TOPIC = 'pcf-edge/health';
/** At most this many problems go into one message; the rest are counted. */
const MAX_PROBLEMS = 50;

export interface HealthMessage {
  component: string;
  site: string;
  gatewayId: string;
  /** ISO-8601 time of the snapshot. */
  at: string;
  healthy: boolean;
  problems: string[];
  aggregator: ReturnType<typeof gatewayStatus>['aggregator'];
  exporter: ReturnType<typeof gatewayStatus>['exporter'];
  outbox: ReturnType<typeof gatewayStatus>['outbox'];
  /** Meters by state (ok, degraded, failing, circuitOpen, unknown). */
  meters: Record<string, number>;
}

/** The gateway's health as `pcf-edge status` judges it (default limits), in a message of bounded size. */
export function healthMessage(
  store: GatewayStore,
  now: number,
  meta: { component: string; site: string; gatewayId: string },
): HealthMessage {
  const status = gatewayStatus(store, now);
  const { healthy, problems } = gatewayHealth(status);
  const meters: Record<string, number> = {};
  for (const m of status.meters) meters[m.state] = (meters[m.state] ?? 0) + 1;
  const shown =
    problems.length <= MAX_PROBLEMS
      ? problems
      : [...problems.slice(0, MAX_PROBLEMS - 1), `… and ${problems.length - MAX_PROBLEMS + 1} more`];
  return {
    ...meta,
    at: new Date(now).toISOString(),
    healthy,
    problems: shown,
    aggregator: status.aggregator,
    exporter: status.exporter,
    outbox: status.outbox,
    meters,
  };
}

export interface HealthPublisher {
  stop(): void;
}

/**
 * Publishes the health message every `intervalMs` (0: never) to HEALTH_TOPIC, best effort: a failed publish is
 * logged once until one succeeds again, and never touches aggregation.
 */
export function startHealthPublisher(o: {
  intervalMs: number;
  message: () => HealthMessage;
  publish: (topic: string, message: HealthMessage) => Promise<void>;
  log: Logger;
}): HealthPublisher {
  if (o.intervalMs <= 0) return { stop: () => undefined };
  let failing = false;
  const tick = (): void => {
    let message: HealthMessage;
    try {
      message = o.message();
    } catch (err) {
      o.log.warn({ err }, 'gateway health not read');
      return;
    }
    o.publish(HEALTH_TOPIC, message).then(
      () => {
        failing = false;
      },
      (err: unknown) => {
        if (!failing) o.log.warn({ err, topic: HEALTH_TOPIC }, 'gateway health not published');
        failing = true;
      },
    );
  };
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();
  tick();
  return { stop: () => clearInterval(timer) };
}
