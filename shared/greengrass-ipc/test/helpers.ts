/** Polls `predicate` every 20 ms until true; rejects with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The fixture process's configuration schema (test/fixtures/component.ts): `storePath` is restart-only, the rest live. */
export const fixtureSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'storePath'],
  properties: {
    site: { type: 'string', minLength: 1 },
    storePath: { type: 'string', 'x-restart': true },
    pollIntervalMs: { type: 'integer', minimum: 100, default: 1000 },
  },
};

/** The in-process test components' schema: the fixture's plus a live `meters` list. */
export const schema = {
  ...fixtureSchema,
  properties: { ...fixtureSchema.properties, meters: { type: 'array', items: { type: 'string' }, default: [] } },
};
export interface Cfg {
  site: string;
  storePath: string;
  pollIntervalMs: number;
  meters: string[];
}
