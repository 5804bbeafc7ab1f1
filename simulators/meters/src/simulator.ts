import { PcfError, ScaledClock, silentLogger, validateConfig, type Clock, type Logger } from '@pcf-edge/core';
import { FaultBook, type Fault } from './faults';
import type { ModbusDeviceServer } from './modbus/answer';
import { createRtuDevice, type RtuDeviceServer, type RtuLineStats } from './modbus/rtu-device';
import { createTcpDevice } from './modbus/tcp-device';
import { buildWorld } from './model/world';
import { faultTransportProblem } from './scenario/load';
import { scenarioSchema } from './scenario/schema';
import type { FaultSpec, Scenario } from './scenario/types';
import { createTruth, type Truth } from './truth';
import { meterPoints } from './points';
import type { OpcuaSimServer } from './opcua/server';

/** node-opcua is large and slow to load: only scenarios with an OPC UA server load it, at start(). */
function opcuaModule(): typeof import('./opcua/server') {
  // A plain require keeps the load lazy under CommonJS (tsx, jest) without an ESM dynamic import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./opcua/server') as typeof import('./opcua/server');
}

export interface SimulatorDeps {
  /** Simulated time source; default: startTime + wall time elapsed since creation × timeFactor. */
  clock?: Clock;
  log?: Logger;
}

export interface SimulatorPorts {
  /** Bound TCP port per Modbus device id (tcp and rtuOverTcp devices; a serial bus is at its serial.path). */
  modbus: Record<string, number>;
  opcua?: number;
}

export interface MeterSimulator {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly ports: SimulatorPorts;
  readonly truth: Truth;
  /** Current simulated time, epoch ms. */
  now(): number;
  /** Adds a fault on a device id, a meter id or `opcua`; starts now unless `fault.at` says otherwise. */
  injectFault(target: string, fault: FaultSpec): Promise<Fault>;
  /** Removes transport faults and actions (of one target, or all); counter events are history and stay. */
  clearFaults(target?: string): Promise<number>;
  /** The OPC UA endpoint URL and namespace URI, when the scenario has an OPC UA server. */
  readonly opcua: { endpoint: string; namespaceUri: string } | undefined;
  /** What happened on each RTU bus (rtu and rtuOverTcp devices), by device id. */
  lineStats(): Record<string, RtuLineStats>;
}

const faultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['target', 'type'],
  properties: (scenarioSchema.properties.faults.items as { properties: object }).properties,
};

/**
 * Builds the simulator for a validated scenario (see scenario/load.ts). Nothing listens until start().
 * The physics is a pure function of simulated time; protocol servers compute register and node values from it
 * at request time (Modbus) or every tick (OPC UA).
 */
export function createMeterSimulator(scenario: Readonly<Scenario>, deps: SimulatorDeps = {}): MeterSimulator {
  const world = buildWorld(scenario);
  const clock = deps.clock ?? new ScaledClock(world.startMs, scenario.timeFactor);
  const log = deps.log ?? silentLogger();
  const faults = new FaultBook();
  faults.addScheduled(scenario.faults, clock.now());
  const truth = createTruth(world, faults, (id) => meterPoints(world, id));
  const deviceOf = new Map<string, string>();
  for (const d of scenario.modbus.devices) for (const m of d.meters) deviceOf.set(m.id, d.id);
  const opcuaMeters = new Set((scenario.opcua?.meters ?? []).map((m) => m.id));

  const refusing = (deviceId: string): boolean =>
    faults
      .list()
      .some(
        (f) =>
          f.type === 'disconnect' &&
          (f.target === deviceId || deviceOf.get(f.target) === deviceId) &&
          f.atMs <= clock.now() &&
          clock.now() < f.endMs,
      );
  const devices = new Map<string, ModbusDeviceServer>();
  const buses = new Map<string, RtuDeviceServer>();
  for (const d of scenario.modbus.devices) {
    const ctx = { world, faults, clock, log: log.child({ stage: 'modbus' }), refusing };
    if (d.transport === 'tcp') {
      devices.set(d.id, createTcpDevice(d, ctx));
    } else {
      const bus = createRtuDevice(d, ctx);
      devices.set(d.id, bus);
      buses.set(d.id, bus);
    }
  }
  const serialDevices = new Set(scenario.modbus.devices.filter((d) => d.transport === 'rtu').map((d) => d.id));
  /** Created at start(), see opcuaModule(). */
  let opcua: OpcuaSimServer | undefined;

  /** The servers a fault target reaches. */
  const serversOf = (
    target: string,
  ): { start(): Promise<void>; stop(): Promise<void>; dropConnections?(): void; running: boolean }[] => {
    if (target === 'opcua' || opcuaMeters.has(target)) return opcua ? [opcua] : [];
    const d = devices.get(target) ?? devices.get(deviceOf.get(target) ?? '');
    return d ? [d] : [];
  };

  const done = new Set<string>();
  const down = new Map<string, Fault>();
  let chain: Promise<void> = Promise.resolve();
  const runActions = async (): Promise<void> => {
    const now = clock.now();
    for (const f of faults.actions()) {
      if (done.has(f.id) || f.atMs > now) continue;
      if (f.type === 'disconnect') {
        for (const s of serversOf(f.target)) s.dropConnections?.();
        done.add(f.id);
      } else if (!down.has(f.id)) {
        log.info({ target: f.target, fault: f.id }, 'restart: server down');
        for (const s of serversOf(f.target)) await s.stop();
        down.set(f.id, f);
      }
    }
    for (const [id, f] of down) {
      if (now < f.endMs) continue;
      for (const s of serversOf(f.target)) await s.start();
      down.delete(id);
      done.add(id);
      log.info({ target: f.target, fault: id }, 'restart: server up');
    }
    opcua?.update(now);
  };
  const tick = (): Promise<void> => {
    chain = chain.then(runActions).catch((err: unknown) => log.error({ err }, 'simulator tick failed'));
    return chain;
  };
  let timer: NodeJS.Timeout | undefined;

  const knownTarget = (t: string): boolean =>
    t === 'opcua' ? scenario.opcua !== undefined : devices.has(t) || world.meters.has(t);

  return {
    truth,
    now: () => clock.now(),
    get ports() {
      const modbus: Record<string, number> = {};
      for (const d of devices.values()) if (!serialDevices.has(d.id)) modbus[d.id] = d.port;
      return opcua ? { modbus, opcua: opcua.port } : { modbus };
    },
    get opcua() {
      return opcua ? { endpoint: opcua.endpoint, namespaceUri: opcua.namespaceUri } : undefined;
    },
    lineStats() {
      const out: Record<string, RtuLineStats> = {};
      for (const [id, bus] of buses) out[id] = { ...bus.stats };
      return out;
    },
    async start() {
      if (scenario.opcua && !opcua) {
        opcua = opcuaModule().createOpcuaSimServer(scenario.opcua, {
          world,
          faults,
          clock,
          log: log.child({ stage: 'opcua' }),
        });
      }
      for (const d of devices.values()) await d.start();
      if (opcua) await opcua.start();
      await tick();
      timer = setInterval(() => void tick(), scenario.tickMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await chain;
      for (const d of devices.values()) await d.stop();
      if (opcua) await opcua.stop();
    },
    async injectFault(target, spec) {
      validateConfig({ ...spec, target }, faultSchema, 'fault');
      if (!knownTarget(target)) throw new PcfError('ERR_NOT_FOUND', `no device or meter '${target}'`, { target });
      const problem = faultTransportProblem(scenario, target, spec.type);
      if (problem) throw new PcfError('ERR_USAGE', problem, { target, type: spec.type });
      if (spec.every !== undefined && spec.type !== 'crcError')
        throw new PcfError('ERR_USAGE', 'every applies only to type crcError', { target, type: spec.type });
      if (
        spec.type === 'badStatus' &&
        spec.statusCode !== undefined &&
        opcua &&
        !opcuaModule().isKnownBadStatus(spec.statusCode)
      ) {
        throw new PcfError('ERR_USAGE', `unknown OPC UA Bad status code '${spec.statusCode}'`, {
          statusCode: spec.statusCode,
        });
      }
      const f = faults.add(target, spec, clock.now());
      log.info({ target, type: f.type, fault: f.id }, 'fault injected');
      await tick();
      return f;
    },
    async clearFaults(target) {
      const targets =
        target === undefined
          ? undefined
          : new Set([target, ...[...deviceOf].filter(([, d]) => d === target).map(([m]) => m)]);
      const removed = faults.clear(targets);
      for (const f of removed) {
        if (!down.has(f.id)) continue;
        down.delete(f.id);
        for (const s of serversOf(f.target)) if (!s.running) await s.start();
      }
      await tick();
      return removed.length;
    },
  };
}
