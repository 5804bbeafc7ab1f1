import { NodeId, NodeIdType } from 'node-opcua-nodeid';
import type { ParsedNodeId } from './node-id';

/**
 * Builds the NodeId to send, given the server's NamespaceArray. Returns a message naming the missing namespace
 * when a `nsu=` URI is not on the server.
 */
export function resolveNodeId(parsed: ParsedNodeId, namespaceArray: readonly string[]): NodeId | string {
  let ns = parsed.namespaceIndex;
  if (parsed.namespaceUri !== undefined) {
    const i = namespaceArray.indexOf(parsed.namespaceUri);
    if (i < 0) return `namespace ${parsed.namespaceUri} is not in the server's NamespaceArray`;
    ns = i;
  }
  const index = ns ?? 0;
  switch (parsed.type) {
    case 's':
      return new NodeId(NodeIdType.STRING, parsed.identifier, index);
    case 'i':
      return new NodeId(NodeIdType.NUMERIC, Number(parsed.identifier), index);
    case 'g':
      return new NodeId(NodeIdType.GUID, parsed.identifier, index);
    case 'b':
      return new NodeId(NodeIdType.BYTESTRING, Buffer.from(parsed.identifier, 'base64'), index);
  }
}
