import type { Scenario } from '@pcf-edge/meter-simulators';
import { opcuaPoints } from '@pcf-edge/meter-simulators';

/**
 * Derives the gateway components' configurations for the local stack from a simulator scenario, so the
 * collectors read exactly the meters the simulator serves. Each meter is described once, in its collector's
 * configuration (line, role, profile or points with modulus); the aggregator learns it from the site model in the
 * gateway store (docs/adr/0220), so its configuration lists no meters.
 */
export interface StackSettings {
  gatewayId: string;
  pkiDir: string;
  streamManagerPort: number;
  kinesisStreamName: string;
  /** Wall-clock milliseconds between polls of each meter (collectors schedule on the wall clock). */
  pollIntervalMs: number;
  /** The ports the running simulator actually listens on. */
  modbusPorts: Record<string, number>;
  opcuaEndpoint?: string;
  /** The gateway's batch-signing key (provisioned and registered by stack/gateway-key.ts). */
  gatewayKeyFile: string;
}

export interface StackConfigs {
  modbus: Record<string, unknown>;
  opcua: Record<string, unknown> | null;
  aggregator: Record<string, unknown>;
  exporter: Record<string, unknown>;
}

function siteOf(scenario: Scenario): string {
  const site = scenario.sites[0];
  if (!site || scenario.sites.length !== 1)
    throw new Error('the local stack runs one gateway: the scenario must have exactly one site');
  return site.id;
}

export function deriveStackConfigs(scenario: Scenario, s: StackSettings): StackConfigs {
  const site = siteOf(scenario);
  const modbus = {
    site,
    devices: scenario.modbus.devices.map((d) => {
      if (d.transport === 'rtu')
        throw new Error(`the local stack serves Modbus over TCP only; device ${d.id} is a serial RTU bus`);
      return {
        id: d.id,
        host: '127.0.0.1',
        port: s.modbusPorts[d.id] ?? d.port,
        timeoutMs: 1000,
        maxRegistersPerRead: 125,
        maxGapRegisters: 8,
        ...(d.transport === 'rtuOverTcp' ? { transport: d.transport, serial: d.serial } : {}),
      };
    }),
    meters: scenario.modbus.devices.flatMap((d) =>
      d.meters.map((m) => ({
        id: m.id,
        line: m.line ?? 'site',
        device: d.id,
        unitId: m.unitId,
        pollIntervalMs: s.pollIntervalMs,
        role: m.role,
        profile: m.profile,
      })),
    ),
    batch: { maxBatch: 500, maxDelayMs: 250 },
  };

  const ua = scenario.opcua;
  const opcua =
    ua && ua.meters.length > 0 && s.opcuaEndpoint
      ? {
          site,
          endpoints: [
            {
              id: 'simulator',
              url: s.opcuaEndpoint,
              securityMode: 'None',
              securityPolicy: 'None',
              pkiDir: s.pkiDir,
              automaticallyAcceptUnknownCertificate: true,
            },
          ],
          meters: ua.meters.map((m) => ({
            id: m.id,
            line: m.line ?? 'site',
            endpoint: 'simulator',
            role: m.role,
            points: opcuaPoints(m.type).map((p) => ({
              name: p.name,
              nodeId: `nsu=${ua.namespaceUri};s=${m.id}.${p.name}`,
              quantity: p.quantity,
              kind: p.kind,
              mode: 'poll',
              samplingIntervalMs: s.pollIntervalMs,
              ...(p.scale !== 1 ? { scale: p.scale } : {}),
              // A UInt32 node wraps at 2^32 (the line counters); nothing else here wraps within a lifetime.
              ...(p.kind === 'counter' && p.type === 'uint32' ? { modulus: 2 ** 32 * p.scale } : {}),
            })),
          })),
        }
      : null;

  const aggregator = {
    site,
    gatewayId: s.gatewayId,
    windows: ['1m', '15m'],
    closeLagMs: 5000,
    gas: {
      volumeCorrectionFactor: 1.02264,
      calorificValues: [{ validFrom: '2020-01-01T00:00:00Z', mJPerM3: 39.5, basis: 'gross' }],
    },
  };

  const exporter = {
    gatewayId: s.gatewayId,
    site,
    target: 'streamManager',
    streamName: 'pcf-edge-rollups',
    kinesisStreamName: s.kinesisStreamName,
    persistence: 'File',
    streamManager: { port: s.streamManagerPort },
    pollIntervalMs: 500,
    signing: { keyFile: s.gatewayKeyFile },
  };
  return { modbus, opcua, aggregator, exporter };
}
