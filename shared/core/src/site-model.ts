import type { PointKind } from './quantities';

/**
 * The site model: what the gateway's components say about the site and each meter, merged into one view
 * (docs/adr/0220-one-site-model-through-the-gateway-store.md). A meter is described once, in the configuration of
 * the collector that reads it; each component publishes the settings it holds as claims into the gateway store,
 * and the aggregator reads the merged model from there.
 *
 * Merge rule per (meter, field): a `given` value (written in a configuration) wins over a `default` (derived from a
 * profile or a register type). Two given values that differ are a contradiction; so are two defaults that differ
 * when no value is given. A contradiction is a configuration error naming both places.
 */
export type MeterRole = 'lineTotal' | 'subMeter' | 'baseload';
export const METER_ROLES: readonly MeterRole[] = ['lineTotal', 'subMeter', 'baseload'];

export type ClaimValue = string | number | null;
export type ClaimStrength = 'given' | 'default';

/** One setting as one component states it. */
export interface SiteClaim {
  /** The meter it describes; '' for a gateway-wide setting (`site`, `gatewayId`). */
  meterId: string;
  /** `site`, `gatewayId`, `line`, `role`, `profile`, or a point setting built by `pointField`. */
  field: string;
  value: ClaimValue;
  strength: ClaimStrength;
  /** Where the component's configuration says it: a JSON pointer, with what it was derived from in brackets. */
  place: string;
}

/** Who states a claim: the component, and where its configuration comes from (a file, Greengrass). */
export interface ClaimOrigin {
  component: string;
  source: string;
}

export type PlacedClaim = SiteClaim & ClaimOrigin;

export type PointSetting = 'modulus' | 'maxRatePerHour' | 'twinOf';

/** The field of a point setting: `points/<name>/<setting>` (a `/` or `~` in the name escaped as in JSON pointers). */
export function pointField(point: string, setting: PointSetting): string {
  return `points/${point.replaceAll('~', '~0').replaceAll('/', '~1')}/${setting}`;
}

/** The human name of a field for messages: `point 'volume' modulus`, `line`. */
function fieldName(field: string): string {
  const m = /^points\/(.*)\/([^/]+)$/.exec(field);
  if (!m) return field;
  return `point '${(m[1] as string).replaceAll('~1', '/').replaceAll('~0', '~')}' ${m[2]}`;
}

/** Two claims of one (meter, field) that cannot both hold. */
export interface SiteConflict {
  meterId: string;
  field: string;
  a: PlacedClaim;
  b: PlacedClaim;
}

const keyOf = (meterId: string, field: string): string => `${meterId}\u001f${field}`;
const same = (x: ClaimValue, y: ClaimValue): boolean => x === y;

function groups(claims: readonly PlacedClaim[]): Map<string, PlacedClaim[]> {
  const byKey = new Map<string, PlacedClaim[]>();
  for (const c of claims) {
    const k = keyOf(c.meterId, c.field);
    const list = byKey.get(k);
    if (list) list.push(c);
    else byKey.set(k, [c]);
  }
  return byKey;
}

/** The claims that decide a field: the given ones when there are any, else the defaults. */
function deciding(list: readonly PlacedClaim[]): readonly PlacedClaim[] {
  const given = list.filter((c) => c.strength === 'given');
  return given.length > 0 ? given : list;
}

/** Every contradiction in a set of claims (one per field, between the first two differing claims). */
export function siteConflicts(claims: readonly PlacedClaim[]): SiteConflict[] {
  const out: SiteConflict[] = [];
  for (const list of groups(claims).values()) {
    const d = deciding(list);
    const first = d[0] as PlacedClaim;
    const other = d.find((c) => !same(c.value, first.value));
    if (other) out.push({ meterId: first.meterId, field: first.field, a: first, b: other });
  }
  return out;
}

const show = (v: ClaimValue): string => (typeof v === 'string' ? `'${v}'` : String(v));
const where = (c: PlacedClaim): string => `${c.component} ${c.place} (${c.source})`;

/**
 * A contradiction as one `path: message` line of a configuration error, from the point of view of `component`
 * (its own place first when it holds one side): both places are named with their component and source.
 */
export function describeConflict(c: SiteConflict, component: string): string {
  const [mine, theirs] = c.b.component === component && c.a.component !== component ? [c.b, c.a] : [c.a, c.b];
  const subject = c.meterId === '' ? fieldName(c.field) : `meter '${c.meterId}' ${fieldName(c.field)}`;
  return `${mine.place}: ${subject} ${show(mine.value)} at ${where(mine)} contradicts ${show(theirs.value)} at ${where(theirs)}`;
}

/** The merged site model at one generation of the store's claims. Values per the merge rule above. */
export class SiteModel {
  private readonly values = new Map<string, ClaimValue>();

  /** `claims` must be free of contradictions (the store refuses to hold any). */
  constructor(
    claims: readonly PlacedClaim[],
    /** Increases whenever any component publishes changed claims. */
    readonly generation: number,
  ) {
    for (const [k, list] of groups(claims)) this.values.set(k, (deciding(list)[0] as PlacedClaim).value);
  }

  /** The value of a field; undefined when no component states it. */
  value(meterId: string, field: string): ClaimValue | undefined {
    return this.values.get(keyOf(meterId, field));
  }
}

/**
 * For a meter's point list in order: each counter point that has an earlier counter point of the same quantity
 * (a twin register, e.g. a float32 kWh beside an int64 Wh) → the name of that first point. The first one is the
 * one counted in line and site totals; its twins are rolled up per meter only, so a meter never counts twice.
 */
export function twinsOf(points: readonly { name: string; quantity: string; kind: PointKind }[]): Map<string, string> {
  const first = new Map<string, string>();
  const twins = new Map<string, string>();
  for (const p of points) {
    if (p.kind !== 'counter') continue;
    const f = first.get(p.quantity);
    if (f === undefined) first.set(p.quantity, p.name);
    else twins.set(p.name, f);
  }
  return twins;
}

/** Where claims go: the gateway store (`GatewayStore.publishSiteClaims`). */
export interface SiteClaimSink {
  /**
   * Replaces every claim of `component` with `claims` in one transaction, after checking them against the other
   * components' claims; a contradiction throws ERR_CONFIG_INVALID naming both places and changes nothing.
   */
  publishSiteClaims(component: string, source: string, claims: readonly SiteClaim[]): void;
}
