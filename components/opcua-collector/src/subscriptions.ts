import {
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  AttributeIds,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type NodeId,
  type StatusCode,
} from 'node-opcua-client';

/**
 * Subscriptions for the `subscribe` points of one session. Items are grouped by sampling interval (the
 * subscription's publishing interval equals it) and split into subscriptions of at most `maxItemsPerSubscription`;
 * within a subscription, items are created in one CreateMonitoredItems call per distinct deadband.
 * Each subscription reports activity (keep-alive or data) so the endpoint can detect a silent server.
 */
export interface SubscribeItem {
  nodeId: NodeId;
  samplingIntervalMs: number;
  deadband?: number;
  deliver(dv: DataValue): void;
  /** The server refused to create the monitored item (e.g. BadNodeIdUnknown). */
  rejected(status: StatusCode): void;
}

export interface SubscriptionSettings {
  maxItemsPerSubscription: number;
  queueSize: number;
}

export interface SubscriptionHandle {
  subscription: ClientSubscription;
  /** Epoch ms of the last keep-alive or notification. */
  lastActivity: number;
  /** Longest silence the server may legitimately keep: publishing interval × max keep-alive count. */
  silenceMs: number;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

async function monitor(
  sub: ClientSubscription,
  items: SubscribeItem[],
  samplingIntervalMs: number,
  queueSize: number,
): Promise<void> {
  const deadband = items[0]?.deadband;
  const filter =
    deadband === undefined
      ? null
      : new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: DeadbandType.Absolute,
          deadbandValue: deadband,
        });
  const group = await sub.monitorItems(
    items.map((it) => ({ nodeId: it.nodeId, attributeId: AttributeIds.Value })),
    { samplingInterval: samplingIntervalMs, queueSize, discardOldest: true, filter },
    TimestampsToReturn.Both,
  );
  group.on('changed', (_mi, dv, index) => items[index]?.deliver(dv));
  group.monitoredItems.forEach((mi, i) => {
    if (mi.statusCode.isNotGood()) items[i]?.rejected(mi.statusCode);
  });
}

export async function createSubscriptions(
  session: ClientSession,
  items: readonly SubscribeItem[],
  settings: SubscriptionSettings,
  onLost: (reason: string) => void,
): Promise<SubscriptionHandle[]> {
  const handles: SubscriptionHandle[] = [];
  for (const [, sameRate] of groupBy(items, (it) => String(it.samplingIntervalMs))) {
    const interval = sameRate[0]?.samplingIntervalMs ?? 1000;
    for (let i = 0; i < sameRate.length; i += settings.maxItemsPerSubscription) {
      const chunk = sameRate.slice(i, i + settings.maxItemsPerSubscription);
      const sub = await session.createSubscription2({
        requestedPublishingInterval: interval,
        requestedMaxKeepAliveCount: 10,
        requestedLifetimeCount: 60,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 10,
      });
      const handle: SubscriptionHandle = {
        subscription: sub,
        lastActivity: Date.now(),
        silenceMs: sub.publishingInterval * sub.maxKeepAliveCount,
      };
      const touch = (): void => {
        handle.lastActivity = Date.now();
      };
      sub.on('keepalive', touch);
      sub.on('received_notifications', touch);
      sub.on('terminated', () => onLost('subscription terminated'));
      sub.on('internal_error', (err: Error) => onLost(`subscription internal error: ${err.message}`));
      sub.on('status_changed', (status: StatusCode) => {
        if (status.isNotGood()) onLost(`subscription status ${status.name}`);
      });
      handles.push(handle);
      for (const [, sameDeadband] of groupBy(chunk, (it) => String(it.deadband ?? ''))) {
        await monitor(sub, sameDeadband, interval, settings.queueSize);
      }
    }
  }
  return handles;
}
