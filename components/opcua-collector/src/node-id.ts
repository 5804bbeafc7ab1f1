/**
 * Node ids as written in the config: `ns=<index>;<t>=<id>`, `nsu=<namespace uri>;<t>=<id>` or `<t>=<id>`
 * (namespace 0), with `<t>` one of `s` (string), `i` (UInt32), `g` (GUID), `b` (base64 opaque).
 * A `nsu=` id is resolved against the server's NamespaceArray on every (re)connect, because a restarted server
 * may renumber its namespaces.
 */
export type IdentifierType = 's' | 'i' | 'g' | 'b';

export interface ParsedNodeId {
  namespaceIndex?: number;
  namespaceUri?: string;
  type: IdentifierType;
  identifier: string;
}

const NODE_ID = /^(?:(ns)=([^;]*);|(nsu)=([^;].*?);)?([sigb])=(.*)$/s;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses a config node id; returns a message saying what is wrong instead of throwing. */
export function parseNodeId(text: string): ParsedNodeId | string {
  const m = NODE_ID.exec(text);
  if (!m) return `not a node id: ${JSON.stringify(text)} (expected ns=<index>;s=<id> or nsu=<uri>;s=<id>)`;
  const [ns, nsIndex, nsu, uri] = [m[1], m[2], m[3], m[4]];
  const type = m[5] as IdentifierType;
  const identifier = m[6] ?? '';
  const parsed: ParsedNodeId = { type, identifier };
  if (ns !== undefined) {
    if (!/^\d+$/.test(nsIndex ?? '') || Number(nsIndex) > 65535)
      return `namespace index must be an integer 0..65535 in ${JSON.stringify(text)}`;
    parsed.namespaceIndex = Number(nsIndex);
  } else if (nsu !== undefined) {
    parsed.namespaceUri = uri;
  } else {
    parsed.namespaceIndex = 0;
  }
  const problem = identifierProblem(type, identifier);
  return problem === undefined ? parsed : `${problem} in ${JSON.stringify(text)}`;
}

function identifierProblem(type: IdentifierType, id: string): string | undefined {
  switch (type) {
    case 's':
      return id.length === 0 ? 'empty string identifier' : undefined;
    case 'i':
      return /^\d+$/.test(id) && Number(id) <= 0xffffffff
        ? undefined
        : 'numeric identifier must be an integer 0..4294967295';
    case 'g':
      return GUID.test(id) ? undefined : 'GUID identifier must look like 01234567-89ab-cdef-0123-456789abcdef';
    case 'b':
      return id.length > 0 && BASE64.test(id) ? undefined : 'opaque identifier must be base64';
  }
}
