/**
 * Deprecated spellings of configuration keys, declared in the schema itself so that every way a configuration
 * arrives (file, watched file, Greengrass deployment) accepts them the same way. An object schema may carry
 *
 *   "x-renamed": { "<old key>": { "to": "<new key, or a path of keys below the same object>",
 *                                  "keys": { "<old key inside the value>": "<new key>" } } }
 *
 * Before validation the old key's value moves to the new place (inner keys renamed by `keys`); giving both
 * spellings is an error naming both. Validation errors about a moved value name the path as it was written.
 * Renames are found through `properties`, `items` and an object `additionalProperties`, not through `$ref`.
 */
export interface Rename {
  to: string;
  keys?: Record<string, string>;
}

/** One deprecated spelling accepted: JSON pointers of the key as written and of its new place. */
export interface AcceptedRename {
  oldKey: string;
  newKey: string;
}

export interface RenameOutcome {
  errors: string[];
  accepted: AcceptedRename[];
  /** Rewrites a `path: message` error so that a moved value is named where it was written. */
  translate(error: string): string;
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode | SchemaNode[];
  additionalProperties?: SchemaNode | boolean;
  'x-renamed'?: Record<string, Rename>;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies the schema's `x-renamed` declarations to `data` in place. */
export function applyRenames(data: unknown, schema: object): RenameOutcome {
  const errors: string[] = [];
  const accepted: AcceptedRename[] = [];
  /** New pointer → pointer as written; longest first when translating. */
  const moved: [string, string][] = [];

  function rename(obj: Obj, oldKey: string, r: Rename, at: string): void {
    const segments = r.to.split('/');
    const oldPtr = `${at}/${oldKey}`;
    const newPtr = `${at}/${r.to}`;
    let parent: Obj = obj;
    for (const s of segments.slice(0, -1)) {
      const next = parent[s];
      if (next === undefined) parent = parent[s] = {};
      else if (isObject(next)) parent = next;
      else {
        errors.push(`${oldPtr}: deprecated spelling of ${newPtr}, but ${at}/${s} is not an object`);
        return;
      }
    }
    const leaf = segments[segments.length - 1] as string;
    if (parent[leaf] !== undefined) {
      errors.push(`${oldPtr}: deprecated spelling of ${newPtr}, which is also given; keep only ${newPtr}`);
      return;
    }
    let value = obj[oldKey];
    if (r.keys && isObject(value)) {
      const renamed: Obj = {};
      for (const [k, v] of Object.entries(value)) {
        const to = r.keys[k] ?? k;
        if (to !== k && Object.hasOwn(value, to)) {
          errors.push(`${oldPtr}/${k}: deprecated spelling of ${oldPtr}/${to}, which is also given`);
          return;
        }
        renamed[to] = v;
        if (to !== k) moved.push([`${newPtr}/${to}`, `${oldPtr}/${k}`]);
      }
      value = renamed;
    }
    delete obj[oldKey];
    parent[leaf] = value;
    moved.push([newPtr, oldPtr]);
    accepted.push({ oldKey: oldPtr, newKey: newPtr });
  }

  function walk(schema: SchemaNode, value: unknown, at: string): void {
    if (Array.isArray(value)) {
      const items = schema.items;
      if (items && !Array.isArray(items)) value.forEach((v, i) => walk(items, v, `${at}/${i}`));
      return;
    }
    if (!isObject(value)) return;
    for (const [oldKey, r] of Object.entries(schema['x-renamed'] ?? {})) {
      if (Object.hasOwn(value, oldKey)) rename(value, oldKey, r, at);
    }
    const extra = isObject(schema.additionalProperties) ? (schema.additionalProperties as SchemaNode) : undefined;
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties?.[k] ?? extra;
      if (sub) walk(sub, v, `${at}/${k}`);
    }
  }

  walk(schema as SchemaNode, data, '');
  moved.sort((a, b) => b[0].length - a[0].length);
  return {
    errors,
    accepted,
    translate(error) {
      for (const [to, from] of moved) {
        if (error.startsWith(`${to}:`) || error.startsWith(`${to}/`)) return from + error.slice(to.length);
      }
      return error;
    },
  };
}
