import {
  AttributeIds,
  BrowseDirection,
  DataType,
  NodeClass,
  ObjectIds,
  type ClientSession,
  type DataValue,
  type ReferenceDescription,
  type Variant,
} from 'node-opcua-client';
import { NodeId, NodeIdType } from 'node-opcua-nodeid';
import { PcfError } from '@pcf-edge/core';
import { int64PairToBigInt, qualityOf } from '../decode';
import { parseNodeId } from '../node-id';
import { resolveNodeId } from '../resolve-node-id';

/** One node found by `browse`, as it is written in a collector configuration. */
export interface BrowsedNode {
  /** Browse names from the start node, `/`-separated. */
  path: string;
  /** `nsu=<namespace uri>;s=<id>` outside namespace 0 (what a point's `nodeId` should say), else `i=<n>`. */
  nodeId: string;
  nodeClass: string;
  /** Variables only: the data type's name, the current value (64-bit integers exact, as text) and its status. */
  dataType?: string;
  value?: string | number | boolean | null;
  status?: string;
}

export interface BrowseReport {
  endpoint: string;
  start: { path: string; nodeId: string };
  depth: number;
  nodes: BrowsedNode[];
}

const ID_TYPE: Record<number, string> = {
  [NodeIdType.NUMERIC]: 'i',
  [NodeIdType.STRING]: 's',
  [NodeIdType.GUID]: 'g',
  [NodeIdType.BYTESTRING]: 'b',
};

/** A node id as a configuration writes it: by namespace URI, so a renumbered namespace does not break it. */
export function configNodeId(id: NodeId, namespaces: readonly string[]): string {
  const type = ID_TYPE[id.identifierType] ?? 's';
  const value = Buffer.isBuffer(id.value) ? id.value.toString('base64') : String(id.value);
  if (id.namespace === 0) return `${type}=${value}`;
  const uri = namespaces[id.namespace];
  return uri === undefined ? `ns=${id.namespace};${type}=${value}` : `nsu=${uri};${type}=${value}`;
}

async function children(session: ClientSession, nodeId: NodeId): Promise<ReferenceDescription[]> {
  let result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 63,
  });
  const out = [...(result.references ?? [])];
  while (result.continuationPoint && result.continuationPoint.length > 0) {
    result = await session.browseNext(result.continuationPoint, false);
    out.push(...(result.references ?? []));
  }
  return out;
}

const nameOf = (r: ReferenceDescription): string => r.browseName.name ?? '';

/**
 * The start node: a node id (`ns=`, `nsu=`, `i=`, `s=`, `g=`, `b=`) or a path of browse names below the Objects
 * folder (`Meters/line1-main`; a leading `/Objects` is optional; a name may carry its namespace index, `2:Meters`).
 */
async function resolveStart(
  session: ClientSession,
  namespaces: readonly string[],
  path: string | undefined,
): Promise<{ nodeId: NodeId; path: string }> {
  const objects = new NodeId(NodeIdType.NUMERIC, ObjectIds.ObjectsFolder, 0);
  if (path === undefined || path === '' || path === '/') return { nodeId: objects, path: '/Objects' };
  if (/^(ns|nsu)=|^[sigb]=/.test(path)) {
    const parsed = parseNodeId(path);
    if (typeof parsed === 'string') throw new PcfError('ERR_USAGE', `--path: ${parsed}`);
    const id = resolveNodeId(parsed, namespaces);
    if (typeof id === 'string') throw new PcfError('ERR_NOT_FOUND', `--path ${path}: ${id}`);
    return { nodeId: id, path };
  }
  const segments = path.split('/').filter((s) => s !== '');
  if (segments[0] === 'Objects') segments.shift();
  let nodeId = objects;
  let at = '/Objects';
  for (const segment of segments) {
    const refs = await children(session, nodeId);
    const hit = refs.find((r) => nameOf(r) === segment || `${r.browseName.namespaceIndex}:${nameOf(r)}` === segment);
    if (!hit) {
      const names = refs.map(nameOf).sort();
      throw new PcfError(
        'ERR_NOT_FOUND',
        `--path ${path}: no node '${segment}' under ${at} (there: ${names.join(', ') || 'nothing'})`,
      );
    }
    nodeId = NodeId.resolveNodeId(hit.nodeId.toString());
    at = `${at}/${segment}`;
  }
  return { nodeId, path: at };
}

/** A value for display: 64-bit integers exact as text, arrays and structures as short JSON. */
export function displayValue(v: Variant): string | number | boolean | null {
  const raw: unknown = v.value;
  if (raw === null || raw === undefined) return null;
  if ((v.dataType === DataType.UInt64 || v.dataType === DataType.Int64) && Array.isArray(raw) && raw.length === 2)
    return int64PairToBigInt(raw as [number, number], v.dataType === DataType.Int64).toString();
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'string') return raw;
  if (raw instanceof Date) return raw.toISOString();
  if (typeof (raw as { text?: unknown }).text === 'string') return (raw as { text: string }).text;
  const text = JSON.stringify(raw, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(raw);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Names of data type nodes: built-in ones by the DataType enum, others read from the server once each. */
async function dataTypeNames(session: ClientSession, ids: NodeId[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const unknown: NodeId[] = [];
  for (const id of ids) {
    const key = id.toString();
    if (names.has(key)) continue;
    const builtIn = id.namespace === 0 && typeof id.value === 'number' ? DataType[id.value] : undefined;
    if (builtIn !== undefined) names.set(key, builtIn);
    else if (!unknown.some((u) => u.toString() === key)) unknown.push(id);
  }
  if (unknown.length > 0) {
    const dvs = await session.read(unknown.map((nodeId) => ({ nodeId, attributeId: AttributeIds.BrowseName })));
    unknown.forEach((id, i) => {
      const q = dvs[i]?.value.value as { name?: string } | null | undefined;
      names.set(id.toString(), q?.name ?? id.toString());
    });
  }
  return names;
}

async function describeVariables(session: ClientSession, found: { node: BrowsedNode; id: NodeId }[]): Promise<void> {
  const vars = found.filter((f) => f.node.nodeClass === 'Variable');
  for (let i = 0; i < vars.length; i += 500) {
    const slice = vars.slice(i, i + 500);
    const dvs: DataValue[] = await session.read(
      slice.flatMap((f) => [
        { nodeId: f.id, attributeId: AttributeIds.Value },
        { nodeId: f.id, attributeId: AttributeIds.DataType },
      ]),
    );
    const typeIds = slice.map((_f, k) => dvs[2 * k + 1]?.value.value as NodeId | null);
    const names = await dataTypeNames(
      session,
      typeIds.filter((t): t is NodeId => t instanceof NodeId),
    );
    slice.forEach((f, k) => {
      const value = dvs[2 * k] as DataValue;
      const type = typeIds[k];
      f.node.dataType = type instanceof NodeId ? (names.get(type.toString()) ?? type.toString()) : 'unknown';
      f.node.value = qualityOf(value.statusCode) === 'bad' ? null : displayValue(value.value);
      f.node.status = value.statusCode.name;
    });
  }
}

/** Lists the nodes below a start node down to `depth` levels, with ids, data types and current values. */
export async function browse(
  session: ClientSession,
  namespaces: readonly string[],
  endpoint: string,
  opts: { path?: string; depth: number },
): Promise<BrowseReport> {
  const start = await resolveStart(session, namespaces, opts.path);
  const found: { node: BrowsedNode; id: NodeId }[] = [];
  // Depth first, so a node's children are listed right below it.
  const visit = async (parent: NodeId, prefix: string, levels: number): Promise<void> => {
    for (const r of await children(session, parent)) {
      const id = NodeId.resolveNodeId(r.nodeId.toString());
      const path = prefix === '' ? nameOf(r) : `${prefix}/${nameOf(r)}`;
      const nodeClass = NodeClass[r.nodeClass] ?? String(r.nodeClass);
      found.push({ node: { path, nodeId: configNodeId(id, namespaces), nodeClass }, id });
      if (levels > 1) await visit(id, path, levels - 1);
    }
  };
  await visit(start.nodeId, '', opts.depth);
  await describeVariables(session, found);
  return {
    endpoint,
    start: { path: start.path, nodeId: configNodeId(start.nodeId, namespaces) },
    depth: opts.depth,
    nodes: found.map((f) => f.node),
  };
}

export function formatBrowse(r: BrowseReport): string {
  const lines = [`${r.endpoint}  ${r.start.path}  (${r.start.nodeId}), depth ${r.depth}`];
  if (r.nodes.length === 0) return [...lines, '  (no nodes below)'].join('\n');
  const cells = r.nodes.map((n) => [
    n.path,
    n.nodeClass,
    n.dataType ?? '',
    n.value === undefined ? '' : n.value === null ? 'null' : String(n.value),
    n.status ?? '',
    n.nodeId,
  ]);
  const widths = [0, 1, 2, 3, 4].map((c) => Math.min(40, Math.max(...cells.map((row) => (row[c] as string).length))));
  lines.push(
    `  ${['path', 'class', 'type', 'value', 'status'].map((h, c) => h.padEnd(widths[c] as number)).join('  ')}  node id`,
  );
  for (const row of cells)
    lines.push(`  ${row.map((cell, c) => (c < 5 ? cell.padEnd(widths[c] as number) : cell)).join('  ')}`.trimEnd());
  return lines.join('\n');
}
