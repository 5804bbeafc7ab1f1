/**
 * A deep copy of configuration data — what JSON.parse or the YAML parser returns, or a configuration received over
 * Greengrass IPC: plain objects, arrays, strings, numbers, booleans, null — in which equal strings are one string.
 * A large configuration repeats a few values for every point ("holding", "float32", "ABCD", a quantity), and the
 * copy is what a component keeps once validated (defaults are applied to it). structuredClone made one string per
 * occurrence, per copy: under Greengrass the configuration is validated twice (with and without the recipe keys),
 * so a 10,000-point configuration held two sets (ADR 0262). Strings are immutable, so sharing them changes nothing
 * a reader can observe. Anything else (a Date, a Map, a class instance) is copied by structuredClone, as before.
 */
export function copyConfigData(data: unknown): unknown {
  const strings = new Map<string, string>();
  const copy = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const seen = strings.get(v);
      if (seen !== undefined) return seen;
      strings.set(v, v);
      return v;
    }
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(copy);
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return structuredClone(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // an own "__proto__" key (JSON.parse makes one) stays a key, as structuredClone keeps it
      if (k === '__proto__')
        Object.defineProperty(out, k, { value: copy(x), enumerable: true, writable: true, configurable: true });
      else out[k] = copy(x);
    }
    return out;
  };
  return copy(data);
}
