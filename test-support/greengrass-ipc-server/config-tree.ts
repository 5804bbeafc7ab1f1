/**
 * An in-memory component configuration like the nucleus keeps under `services.<name>.configuration`: nested
 * plain objects are interior nodes ("Topics"), everything else (string, number, boolean, array, null) is a leaf
 * ("Topic").
 */
export type ConfigObject = Record<string, unknown>;

export function isInterior(v: unknown): v is ConfigObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The node at `keyPath`, or undefined when any step is missing. */
export function nodeAt(root: ConfigObject, keyPath: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of keyPath) {
    if (!isInterior(node) || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Sets (or, for `undefined`, removes) the node at a non-empty `keyPath`, creating interior nodes on the way. */
export function setAt(root: ConfigObject, keyPath: readonly string[], value: unknown): void {
  if (keyPath.length === 0) throw new Error('keyPath must not be empty');
  let node = root;
  for (const key of keyPath.slice(0, -1)) {
    const next = node[key];
    if (!isInterior(next)) node[key] = {};
    node = node[key] as ConfigObject;
  }
  const last = keyPath[keyPath.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = structuredClone(value);
}

function leaves(v: unknown, path: string[], out: Map<string, { path: string[]; json: string }>): void {
  if (isInterior(v) && Object.keys(v).length > 0) {
    for (const [k, child] of Object.entries(v)) leaves(child, [...path, k], out);
  } else if (v !== undefined) {
    out.set(JSON.stringify(path), { path, json: JSON.stringify(v) });
  }
}

/** Key paths of every leaf that differs (added, removed or changed) between two subtrees rooted at `base`. */
export function changedLeafPaths(before: unknown, after: unknown, base: readonly string[]): string[][] {
  const a = new Map<string, { path: string[]; json: string }>();
  const b = new Map<string, { path: string[]; json: string }>();
  leaves(before, [...base], a);
  leaves(after, [...base], b);
  const changed: string[][] = [];
  for (const [k, v] of b) if (a.get(k)?.json !== v.json) changed.push(v.path);
  for (const [k, v] of a) if (!b.has(k)) changed.push(v.path);
  return changed;
}

export function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => path[i] === k);
}
