import { AttributeIds, type DataValue } from 'node-opcua-client';
import type { NodeId } from 'node-opcua-nodeid';
import { isPcfError, unitOf, type Quality, type Quantity } from '@pcf-edge/core';
import type { EndpointConfig, OpcUaCollectorConfig } from '../config';
import { decodeDataValue, type Decoded } from '../decode';
import { parseNodeId } from '../node-id';
import { resolveNodeId } from '../resolve-node-id';
import { displayValue } from './browse';
import { openToolSession } from './session';

/** What one configured point read once: the node's status and raw value, and the reading the collector would write. */
export interface DryRunPoint {
  meter: string;
  point: string;
  nodeId: string;
  quantity: string;
  /** The OPC UA StatusCode name, or null when the node was not read (endpoint down, unknown namespace). */
  status: string | null;
  raw: string | number | boolean | null;
  value: number | null;
  unit: string;
  quality: Quality;
  qualityReason?: string;
}

export interface DryRunEndpoint {
  id: string;
  url: string;
  security: string;
  /** Set when the endpoint could not be reached or the session not opened; every point is then `bad`. */
  error?: string;
  /** The meters' serial numbers read from their `serialNodeId`. */
  serials: Record<string, string | null>;
  points: DryRunPoint[];
}

export interface OpcUaDryRunReport {
  site: string;
  endpoints: DryRunEndpoint[];
}

interface Target {
  meter: string;
  point: string;
  nodeId: string;
  quantity: string;
  scale: number;
}

function targetsOf(c: Readonly<OpcUaCollectorConfig>, e: EndpointConfig): Target[] {
  return c.meters
    .filter((m) => m.endpoint === e.id)
    .flatMap((m) =>
      m.points.map((p) => ({ meter: m.id, point: p.name, nodeId: p.nodeId, quantity: p.quantity, scale: p.scale })),
    );
}

function pointOf(t: Target, read: { status: string | null; raw: DryRunPoint['raw'] }, d: Decoded): DryRunPoint {
  const p: DryRunPoint = {
    meter: t.meter,
    point: t.point,
    nodeId: t.nodeId,
    quantity: t.quantity,
    ...read,
    value: d.value,
    unit: unitOf(t.quantity as Quantity),
    quality: d.quality,
  };
  if (d.reason !== undefined) p.qualityReason = d.reason;
  return p;
}

const failed = (t: Target, reason: string): DryRunPoint =>
  pointOf(t, { status: null, raw: null }, { value: null, quality: 'bad', reason });

const decoded = (t: Target, dv: DataValue): DryRunPoint =>
  pointOf(t, { status: dv.statusCode.name, raw: displayValue(dv.value) }, decodeDataValue(dv, t.scale));

async function readEndpoint(c: Readonly<OpcUaCollectorConfig>, e: EndpointConfig): Promise<DryRunEndpoint> {
  const targets = targetsOf(c, e);
  const meters = c.meters.filter((m) => m.endpoint === e.id);
  const out: DryRunEndpoint = {
    id: e.id,
    url: e.url,
    security: `${e.securityMode}/${e.securityPolicy}`,
    serials: {},
    points: [],
  };
  let tool;
  try {
    tool = await openToolSession(e);
  } catch (err) {
    out.error = isPcfError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
    out.points = targets.map((t) => failed(t, `not read: endpoint ${e.id} failed`));
    return out;
  }
  try {
    const resolve = (text: string): NodeId | string => {
      const parsed = parseNodeId(text);
      return typeof parsed === 'string' ? parsed : resolveNodeId(parsed, tool.namespaces);
    };
    const ids = [...targets.map((t) => t.nodeId), ...meters.flatMap((m) => m.serialNodeId ?? [])].map(resolve);
    const readable = ids.filter((id): id is NodeId => typeof id !== 'string');
    const dvs = await tool.session.read(readable.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
    const byIndex = new Map<number, DataValue>();
    let k = 0;
    ids.forEach((id, i) => {
      if (typeof id !== 'string') byIndex.set(i, dvs[k++] as DataValue);
    });
    out.points = targets.map((t, i) => {
      const dv = byIndex.get(i);
      return dv ? decoded(t, dv) : failed(t, ids[i] as string);
    });
    let s = targets.length;
    for (const m of meters) {
      if (m.serialNodeId === undefined) continue;
      const dv = byIndex.get(s++);
      out.serials[m.id] = dv?.statusCode.isGood() && typeof dv.value.value === 'string' ? dv.value.value : null;
    }
  } finally {
    await tool.close();
  }
  return out;
}

/**
 * Connects to every endpoint of the configuration, reads every configured point once (the Read service, whatever
 * the point's mode) and reports the status code, the raw value and the decoded reading in its canonical unit, as
 * the collector would store it. Endpoints are read one after another; a failing one is reported, not thrown.
 */
export async function dryRunOpcUa(c: Readonly<OpcUaCollectorConfig>): Promise<OpcUaDryRunReport> {
  const endpoints: DryRunEndpoint[] = [];
  for (const e of c.endpoints) endpoints.push(await readEndpoint(c, e));
  return { site: c.site, endpoints };
}

export function formatDryRun(r: OpcUaDryRunReport): string {
  const lines = [`site ${r.site}`];
  for (const e of r.endpoints) {
    lines.push(`endpoint ${e.id}  ${e.url}  ${e.security}${e.error ? `  FAILED: ${e.error}` : ''}`);
    for (const [meter, serial] of Object.entries(e.serials))
      lines.push(`  meter ${meter} serial ${serial ?? '(unreadable)'}`);
    for (const p of e.points) {
      const value = p.value === null ? 'null' : String(p.value);
      const status = p.status === null ? '' : `  [${p.status}, raw ${p.raw === null ? 'null' : String(p.raw)}]`;
      lines.push(
        `  ${p.meter}/${p.point} = ${value} ${p.unit}  ${p.quality}${p.qualityReason ? ` (${p.qualityReason})` : ''}${status}  ${p.nodeId}`,
      );
    }
  }
  return lines.join('\n');
}
