import type { CalcOptions, PeriodCalculation } from '@pcf-edge/pcf-engine';
import { contentHash, sha256 } from '../audit/hash';
import type { CloudSinkRepository } from '../store/repository';
import type { LoadedInput, SeriesRead } from './engine-input';
import { productResultDoc, type ProductResultDoc } from './result-doc';

/** A reference entity an audit record names: kind, id, version and the SHA-256 of its canonical data. */
export interface AuditEntity {
  kind: string;
  id: string;
  version: number;
  hash: string;
}

/** Why a result was stored in place of another (a recomputation of a stale result, ADR 0232). */
export interface Supersedes {
  resultId: string;
  /** |new − old| ÷ |old| of the PCF per declared unit; the threshold it reached. */
  relativeChange: string;
  threshold: string;
}

/**
 * What an audit record stores (schema pcf-edge.audit/3, ADR 0231): enough to replay the calculation exactly from the
 * kept revisions, whatever arrived later. Records of pcf-edge.audit/2 (`AuditBodyV2`) are replayed from the same
 * history; pcf-edge.audit/1 by the frozen verifier.
 */
export interface AuditBody {
  schema: 'pcf-edge.audit/3';
  resultId: string;
  subject: { kind: 'product'; id: string };
  options: CalcOptions;
  inputs: {
    referenceVersion: number;
    gwpSet: string;
    entities: AuditEntity[];
    lines: string[];
    sites: string[];
    /** Per line, then per site: the window length read (null: none in the period) and whether any rollup was there. */
    series: SeriesRead[];
    /**
     * Every rollup whose energy was read (the window length used, overlapping the period), lines then sites, each by
     * window start and id: its (id, revision) and the SHA-256 of its document as received (UTF-8), which its stored
     * columns must decode from. (An unstored view of a calculation lists (id, revision) only.)
     */
    rollups: { id: string; revision: number; hash?: string }[];
  };
  supersedes?: Supersedes;
  derivation: unknown;
  result: ProductResultDoc;
}

/** The record body of schema pcf-edge.audit/2 (one hash over all rollups), as written before ADR 0231. */
export interface AuditBodyV2 {
  schema: 'pcf-edge.audit/2';
  resultId: string;
  subject: { kind: 'product'; id: string };
  options: CalcOptions;
  inputs: {
    referenceVersion: number;
    gwpSet: string;
    entities: AuditEntity[];
    lines: string[];
    sites: string[];
    rollups: { id: string; revision: number }[];
    /** SHA-256 of the canonical JSON of those rollups' stored columns, lines then sites. */
    rollupsHash: string;
  };
  derivation: unknown;
  result: ProductResultDoc;
}

/**
 * The SHA-256 of the document as received of each rollup in `loaded.rollups` (listed), read from the history: what a
 * stored record names (`auditBody`'s `documentHashes`).
 */
export async function documentHashes(repo: CloudSinkRepository, loaded: LoadedInput): Promise<string[]> {
  const rollups = loaded.rollups ?? [];
  const kept = await repo.getRollupRevisions(rollups.map((r) => ({ id: r.id, revision: r.revision })));
  if (kept.length !== rollups.length)
    throw new Error(`internal: ${rollups.length - kept.length} rollups read are missing from the history`);
  return kept.map((k) => sha256(k.doc));
}

/**
 * The audit record body of `product` in `calc`; `loaded` must list its rollups (`list: true`). A stored record passes
 * `documentHashes(repo, loaded)`; a view of an unstored calculation may leave them out.
 */
export function auditBody(
  resultId: string,
  loaded: LoadedInput,
  calc: PeriodCalculation,
  product: string,
  hashes?: readonly string[],
  supersedes?: Supersedes,
): AuditBody {
  const r = calc.product(product);
  return {
    schema: 'pcf-edge.audit/3',
    resultId,
    subject: { kind: 'product', id: product },
    // the unit table is named, so a record made before the exact catalogue (none named) is recomputed with its own
    options: { ...calc.input.options, units: calc.input.options.units ?? 'exact' },
    inputs: auditInputs(loaded, calc, hashes),
    ...(supersedes ? { supersedes } : {}),
    derivation: r.trace(),
    result: productResultDoc(calc, r),
  };
}

/**
 * The `inputs` of `auditBody` alone (what an audit view of an unstored calculation shows beside the derivation):
 * `loaded` must list its rollups. Entity hashes are kept in `loaded.reference.entityHashes` (the same digits as
 * hashing afresh: a snapshot never changes).
 */
export function auditInputs(
  loaded: LoadedInput,
  calc: PeriodCalculation,
  hashes?: readonly string[],
): AuditBody['inputs'] {
  if (!loaded.rollups || !loaded.series)
    throw new Error('internal: an audit record needs the rollups listed (load with `list`)');
  if (loaded.reference.snapshot !== calc.input.snapshot)
    throw new Error('internal: the calculation was not made under the reference it was loaded with');
  const kept = loaded.reference.entityHashes;
  const entities = [...calc.usedEntities()]
    .map(([key, e]) => {
      let hash = kept.get(key);
      if (hash === undefined) kept.set(key, (hash = contentHash(e.data)));
      return { kind: key.slice(0, key.indexOf(':')), id: e.entityId, version: e.version, hash };
    })
    .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
  return {
    referenceVersion: calc.input.snapshot.asOfVersion,
    gwpSet: calc.input.options.gwpSet,
    entities,
    lines: loaded.lines,
    sites: loaded.sites,
    series: loaded.series,
    rollups: loaded.rollups.map((x, i) => ({
      id: x.id,
      revision: x.revision,
      ...(hashes ? { hash: hashes[i] } : {}),
    })),
  };
}
