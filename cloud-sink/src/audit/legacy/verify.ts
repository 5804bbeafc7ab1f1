import type { CalcOptions } from '@pcf-edge/pcf-engine';
import { loadSnapshot } from '../../reference/snapshot';
import type { CloudSinkRepository } from '../../store/repository';
import { canonicalJson, contentHash } from '../hash';
import { computePeriod } from './calculate';
import { productResultDoc, type ProductResultDoc } from './result-doc';
import { legacyRollup, type LegacyRollup } from './rollups';

/** The parts of a pcf-edge.audit/1 record body that a recomputation reads. */
export interface LegacyAuditBody {
  schema: 'pcf-edge.audit/1';
  subject: { kind: 'product'; id: string };
  options: CalcOptions;
  /** How the engine formed its sums (ADR 0145); records written before the field existed used 1. */
  arithmetic?: 1 | 2;
  inputs: {
    referenceVersion: number;
    lines: string[];
    sites: string[];
    rollups: { id: string; revision: number }[];
    rollupsHash: string;
  };
  result: ProductResultDoc;
}

/**
 * Recomputes a pcf-edge.audit/1 record with the frozen engine of cc21e43 under the record's own arithmetic, from its
 * recorded reference version, lines, sites and options, and the rollups as received; returns the problems found
 * (rollups revised since, a result that is not reproduced).
 */
export async function recomputeLegacy(repo: CloudSinkRepository, body: LegacyAuditBody): Promise<string[]> {
  const arithmetic = body.arithmetic ?? 1;
  if (arithmetic !== 1 && arithmetic !== 2)
    return [`record names arithmetic ${JSON.stringify(body.arithmetic)}, which this engine does not know (1 or 2)`];
  const problems: string[] = [];
  try {
    problems.push(...(await recompute(repo, body, arithmetic)));
  } catch (err) {
    problems.push(`recomputation failed: ${(err as Error).message}`);
  }
  return problems;
}

async function recompute(repo: CloudSinkRepository, body: LegacyAuditBody, arithmetic: 1 | 2): Promise<string[]> {
  const problems: string[] = [];
  const options = body.options;
  const snapshot = await loadSnapshot(repo, body.inputs.referenceVersion);
  // The revisions the record names, as received, from the history (ADR 0230): what was used, whatever came later.
  const named = body.inputs.rollups;
  const kept = await repo.getRollupRevisions(named);
  if (kept.length < named.length) {
    const have = new Set(kept.map((k) => `${k.rollup.id}@${k.rollup.revision}`));
    const gone = named.filter((n) => !have.has(`${n.id}@${n.revision}`)).map((n) => `${n.id}@${n.revision}`);
    problems.push(`input rollups not kept (deleted from the history): ${gone.slice(0, 5).join(', ')}`);
  }
  const used = kept.map((k) => legacyRollup(k.rollup.revision, k.doc));
  const read = (q: { type: 'line'; line: string } | { type: 'site'; site: string }): Promise<LegacyRollup[]> =>
    Promise.resolve(
      used.filter((r) =>
        q.type === 'line' ? r.type === 'line' && r.line === q.line : r.type === 'site' && r.site === q.site,
      ),
    );

  const all: LegacyRollup[] = [];
  const lineRollups = new Map<string, LegacyRollup[]>();
  const siteRollups = new Map<string, LegacyRollup[]>();
  for (const line of body.inputs.lines) {
    const rows = await read({ type: 'line', line });
    lineRollups.set(line, rows);
    all.push(...rows);
  }
  for (const site of body.inputs.sites) {
    const rows = await read({ type: 'site', site });
    if (rows.length > 0) siteRollups.set(site, rows);
    all.push(...rows);
  }
  if (contentHash(all) !== body.inputs.rollupsHash) {
    const was = new Map(body.inputs.rollups.map((r) => [r.id, r.revision]));
    const changed = all
      .filter((r) => was.get(r.id) !== r.revision)
      .map((r) => `${r.id}@${was.get(r.id) ?? 'new'}→${r.revision}`);
    problems.push(
      `rollups differ from those used (${all.length} kept, ${was.size} then${changed.length ? `; revised: ${changed.slice(0, 5).join(', ')}` : '; values altered'})`,
    );
  }
  const calc = computePeriod({ snapshot, lineRollups, siteRollups, options, arithmetic });
  const again = productResultDoc(calc, calc.product(body.subject.id));
  if (canonicalJson(again) !== canonicalJson(body.result)) {
    problems.push(
      `recomputation does not reproduce the result: ${again.pcfPerDeclaredUnit} vs recorded ${body.result.pcfPerDeclaredUnit} kgCO2e/${body.result.declaredUnit}`,
    );
  }
  return problems;
}
