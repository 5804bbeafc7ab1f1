import type { GatewayStore, OutboxRow } from '@pcf-edge/store';
import type { StreamExporterConfig } from './config';

/**
 * Chooses the outbox rows of one round: up to `inFlight` groups of at most `maxRollupsPerMessage` rows, oldest
 * first. While a backlog exists (more unsent rows than one round takes), one group per round (every other round
 * when `inFlight` is 1) is the newest rows instead, so live views stay current while history drains in order.
 */
export function pickRows(store: GatewayStore, config: Pick<StreamExporterConfig, 'maxRollupsPerMessage' | 'inFlight'>, round: number): OutboxRow[][] {
  const per = config.maxRollupsPerMessage;
  const limit = per * config.inFlight;
  const oldest = store.pendingOutbox(limit + 1);
  if (oldest.length === 0) return [];
  let backlog = oldest.slice(0, limit);
  const groups: OutboxRow[][] = [];
  const liveTurn = config.inFlight > 1 || round % 2 === 1;
  if (oldest.length > limit && liveTurn) {
    const taken = new Set(backlog.map((r) => r.seq));
    const live = store.pendingOutbox(per, { newestFirst: true }).filter((r) => !taken.has(r.seq)).reverse();
    if (live.length > 0) {
      groups.push(live);
      backlog = backlog.slice(0, limit - per);
    }
  }
  for (let i = 0; i < backlog.length && groups.length < config.inFlight; i += per) groups.push(backlog.slice(i, i + per));
  return groups;
}
