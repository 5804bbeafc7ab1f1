import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, Logger } from '@pcf-edge/core';
import { decodeRaw, isFloat } from '@pcf-edge/profiles';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCode,
  StatusCodes,
  Variant,
  VariantArrayType,
  type UAVariable,
} from 'node-opcua';
import type { Fault, FaultBook } from '../faults';
import type { MeterModel } from '../model/meter';
import { hash32 } from '../model/random';
import { pointValue, pointWords, serialAt, type ValuePoint } from '../model/render';
import type { World } from '../model/world';
import type { OpcuaServer } from '../scenario/types';
import { opcuaPoints } from './nodes';
import { freePort } from '../net';

export interface OpcuaSimServer {
  readonly port: number;
  readonly endpoint: string;
  readonly namespaceUri: string;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Writes every node's value for simulated time `now` (called each tick). */
  update(now: number): void;
}

export interface OpcuaContext {
  world: World;
  faults: FaultBook;
  clock: Clock;
  log: Logger;
  /** PKI folder for the server certificate; default: <tmpdir>/pcf-edge-sim-pki (reused across runs). */
  pkiDir?: string;
}

const DATA_TYPES = {
  uint16: DataType.UInt16,
  uint32: DataType.UInt32,
  uint64: DataType.UInt64,
  float64: DataType.Double,
} as const;

export function isKnownBadStatus(name: string): boolean {
  const s = (StatusCodes as unknown as Record<string, StatusCode | undefined>)[name];
  return s !== undefined && s.isBad();
}

/** A node's variant from register-style words: UInt64 as [high, low], UInt32/UInt16 as numbers, Double as is. */
function variantOf(meter: MeterModel, p: ValuePoint, t: number, events: readonly Fault[]): Variant {
  const dataType = DATA_TYPES[p.type as keyof typeof DATA_TYPES];
  if (isFloat(p.type)) return new Variant({ dataType, value: pointValue(meter, p, t, events) });
  const w = pointWords(meter, p, t, events);
  if (p.type === 'uint64')
    return new Variant({
      dataType,
      arrayType: VariantArrayType.Scalar,
      value: [(((w[0] as number) << 16) | (w[1] as number)) >>> 0, (((w[2] as number) << 16) | (w[3] as number)) >>> 0],
    });
  return new Variant({ dataType, value: Number(decodeRaw(w, p.type, 'ABCD')) });
}

function faultedVariant(
  meter: MeterModel,
  p: ValuePoint,
  t: number,
  f: Fault | undefined,
  faults: FaultBook,
  seed: number,
): Variant {
  const events = (at: number) => faults.counterEvents(meter.faultTargets, at);
  if (f?.type === 'stuck') return variantOf(meter, p, f.atMs, events(f.atMs));
  if (f?.type === 'nan' && isFloat(p.type)) return new Variant({ dataType: DataType.Double, value: NaN });
  if (f?.type === 'garbage') {
    const h = hash32(seed, meter.id, p.name, Math.floor(t / 1000));
    if (isFloat(p.type)) return new Variant({ dataType: DataType.Double, value: h / 7 });
    if (p.type === 'uint64')
      return new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [h >>> 8, h] });
    return new Variant({
      dataType: DATA_TYPES[p.type as 'uint16' | 'uint32'],
      value: p.type === 'uint16' ? h & 0xffff : h,
    });
  }
  return variantOf(meter, p, t, events(t));
}

/**
 * OPC UA server (node-opcua) exposing the scenario's OPC UA meters under `namespaceUri` (see nodes.ts for the node
 * set). Endpoints and client-certificate trust as `cfg.security` says (default None and SignAndEncrypt with
 * Basic256Sha256, every client certificate accepted); anonymous access is allowed; values are written every tick with the simulated
 * time as source timestamp. Faults: badStatus (status code on every node of the meter), stuck, nan (Double nodes),
 * garbage, counter events; restart is driven by the simulator (stop + start on the same port).
 */
export function createOpcuaSimServer(cfg: OpcuaServer, ctx: OpcuaContext): OpcuaSimServer {
  let server: OPCUAServer | undefined;
  let port = cfg.port;
  let nodes: { meter: MeterModel; point: ValuePoint | 'Serial'; variable: UAVariable }[] = [];

  const build = (s: OPCUAServer): void => {
    const addressSpace = s.engine.addressSpace;
    if (!addressSpace) throw new Error('OPC UA address space missing after initialize');
    const ns = addressSpace.registerNamespace(cfg.namespaceUri);
    const folder = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Meters', nodeId: 's=Meters' });
    nodes = [];
    for (const m of cfg.meters) {
      const meter = ctx.world.meters.get(m.id) as MeterModel;
      const obj = ns.addObject({ organizedBy: folder, browseName: m.id, nodeId: `s=${m.id}` });
      for (const p of opcuaPoints(m.type)) {
        const dataType = DATA_TYPES[p.type as keyof typeof DATA_TYPES];
        const variable = ns.addVariable({
          componentOf: obj,
          browseName: p.name,
          nodeId: `s=${m.id}.${p.name}`,
          dataType: DataType[dataType],
        });
        nodes.push({ meter, point: p, variable });
      }
      const serial = ns.addVariable({
        componentOf: obj,
        browseName: 'Serial',
        nodeId: `s=${m.id}.Serial`,
        dataType: 'String',
      });
      nodes.push({ meter, point: 'Serial', variable: serial });
    }
  };

  const update = (now: number): void => {
    const ts = new Date(now);
    for (const { meter, point, variable } of nodes) {
      const active = ctx.faults.activeTransport(meter.faultTargets, now);
      const bad = [...active].reverse().find((f) => f.type === 'badStatus');
      const status = bad
        ? ((StatusCodes as unknown as Record<string, StatusCode | undefined>)[bad.statusCode ?? 'BadSensorFailure'] ??
          StatusCodes.BadSensorFailure)
        : StatusCodes.Good;
      if (point === 'Serial') {
        variable.setValueFromSource(
          new Variant({
            dataType: DataType.String,
            value: serialAt(meter, ctx.faults.counterEvents(meter.faultTargets, now)),
          }),
          StatusCodes.Good,
          ts,
        );
        continue;
      }
      const valueFault = [...active]
        .reverse()
        .find((f) => f.type === 'stuck' || f.type === 'nan' || f.type === 'garbage');
      variable.setValueFromSource(
        faultedVariant(meter, point, now, valueFault, ctx.faults, ctx.world.seed),
        status,
        ts,
      );
    }
  };

  return {
    get port() {
      return port;
    },
    get endpoint() {
      return `opc.tcp://${cfg.host}:${port}/UA/pcf-edge`;
    },
    namespaceUri: cfg.namespaceUri,
    get running() {
      return server !== undefined;
    },
    async start() {
      if (server) return;
      if (port === 0) port = await freePort(cfg.host);
      const security = cfg.security ?? { modes: ['None', 'SignAndEncrypt'], clientCertificates: 'acceptAny' };
      const pki = security.pkiDir ?? join(ctx.pkiDir ?? join(tmpdir(), 'pcf-edge-sim-pki'), 'server');
      const secure = security.modes.some((m) => m !== 'None');
      const s = new OPCUAServer({
        port,
        hostname: cfg.host,
        resourcePath: '/UA/pcf-edge',
        alternateHostname: [cfg.host],
        buildInfo: { productName: 'pcf-edge meter simulator', manufacturerName: 'pcf-edge' },
        serverCertificateManager: new OPCUACertificateManager({
          rootFolder: pki,
          automaticallyAcceptUnknownCertificate: security.clientCertificates === 'acceptAny',
        }),
        securityModes: security.modes.map((m) => MessageSecurityMode[m]),
        securityPolicies: [
          ...(security.modes.includes('None') ? [SecurityPolicy.None] : []),
          ...(secure ? [SecurityPolicy.Basic256Sha256] : []),
        ],
        allowAnonymous: true,
      });
      await s.initialize();
      build(s);
      update(ctx.clock.now());
      await s.start();
      server = s;
      ctx.log.info({ port, endpoint: this.endpoint }, 'opcua server listening');
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = undefined;
      nodes = [];
      await s.shutdown(0);
    },
    update(now) {
      if (server) update(now);
    },
  };
}
