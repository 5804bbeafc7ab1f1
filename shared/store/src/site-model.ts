import {
  describeConflict,
  PcfError,
  SiteModel,
  siteConflicts,
  type ClaimValue,
  type PlacedClaim,
  type SiteClaim,
} from '@pcf-edge/core';
import type { StatementCache } from './statements';

/**
 * The site model's tables (docs/adr/0220): `site_claims` holds what each component's configuration says about the
 * site and its meters, `site_sources` where each component's configuration comes from and the generation of its
 * last change. Claims are replaced per component in one transaction after a check against every other component's
 * claims, so the table never holds a contradiction.
 */
interface ClaimRow {
  component: string;
  meter_id: string;
  field: string;
  value_json: string;
  strength: 'given' | 'default';
  place: string;
  source: string;
}

const toClaim = (r: ClaimRow): PlacedClaim => ({
  component: r.component,
  source: r.source,
  meterId: r.meter_id,
  field: r.field,
  value: JSON.parse(r.value_json) as ClaimValue,
  strength: r.strength,
  place: r.place,
});

export function listSiteClaims(st: StatementCache): PlacedClaim[] {
  const sql = `SELECT c.component, c.meter_id, c.field, c.value_json, c.strength, c.place, s.source
    FROM site_claims c JOIN site_sources s ON s.component = c.component
    ORDER BY c.component, c.meter_id, c.field`;
  return (st.get(sql).all() as ClaimRow[]).map(toClaim);
}

/** 0 until a component published; grows with every changed publication. */
export function siteModelGeneration(st: StatementCache): number {
  return (st.get('SELECT COALESCE(MAX(generation), 0) AS g FROM site_sources').get() as { g: number }).g;
}

/** Call inside one read transaction, so claims and generation belong together. */
export function readSiteModel(st: StatementCache): SiteModel {
  return new SiteModel(listSiteClaims(st), siteModelGeneration(st));
}

function placed(component: string, source: string, claims: readonly SiteClaim[]): PlacedClaim[] {
  const seen = new Set<string>();
  return claims.map((c) => {
    const k = `${c.meterId}\u001f${c.field}`;
    if (seen.has(k)) throw new Error(`internal: ${component} claims meter '${c.meterId}' ${c.field} twice`);
    seen.add(k);
    return { ...c, component, source };
  });
}

/** What `claims` of `component` would contradict among the other components' claims, as `path: message` lines. */
export function siteClaimProblems(
  st: StatementCache,
  component: string,
  source: string,
  claims: readonly SiteClaim[],
): string[] {
  const others = listSiteClaims(st).filter((c) => c.component !== component);
  return siteConflicts([...others, ...placed(component, source, claims)]).map((c) => describeConflict(c, component));
}

const rowText = (c: PlacedClaim): string =>
  JSON.stringify([c.meterId, c.field, c.value, c.strength, c.place, c.source]);

/**
 * Replaces the claims of `component` (call inside an IMMEDIATE transaction). Throws ERR_CONFIG_INVALID, changing
 * nothing, when they contradict another component's; returns false when they are the ones already stored.
 */
export function publishSiteClaims(
  st: StatementCache,
  component: string,
  source: string,
  claims: readonly SiteClaim[],
  nowTs: number,
): boolean {
  const errors = siteClaimProblems(st, component, source, claims);
  if (errors.length > 0) {
    throw new PcfError('ERR_CONFIG_INVALID', `invalid configuration in ${source}:\n  ${errors.join('\n  ')}`, {
      source,
      errors,
    });
  }
  const mine = placed(component, source, claims);
  const stored = listSiteClaims(st).filter((c) => c.component === component);
  const text = (list: PlacedClaim[]): string => list.map(rowText).sort().join('\n');
  const storedSource = st.get('SELECT source FROM site_sources WHERE component = ?').get(component) as
    { source: string } | undefined;
  if (storedSource?.source === source && text(stored) === text(mine)) return false;
  st.get('DELETE FROM site_claims WHERE component = ?').run(component);
  const insert = st.get(
    'INSERT INTO site_claims (component, meter_id, field, value_json, strength, place) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (const c of mine) insert.run(component, c.meterId, c.field, JSON.stringify(c.value), c.strength, c.place);
  st.get(
    `INSERT INTO site_sources (component, source, generation, published_ts)
     VALUES (?, ?, (SELECT COALESCE(MAX(generation), 0) + 1 FROM site_sources), ?)
     ON CONFLICT (component) DO UPDATE SET source = excluded.source, generation = excluded.generation,
       published_ts = excluded.published_ts`,
  ).run(component, source, nowTs);
  return true;
}
