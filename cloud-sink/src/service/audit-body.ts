import type { CalcOptions, PeriodCalculation } from '@pcf-edge/pcf-engine';
import { contentHash } from '../audit/hash';
import type { LoadedInput } from './engine-input';
import { productResultDoc, type ProductResultDoc } from './result-doc';

/**
 * What an audit record stores (schema pcf-edge.audit/2: the engine on integer quantities, ADR 0180); enough to read
 * the same inputs again and recompute. Records of schema pcf-edge.audit/1 are verified by the frozen verifier.
 */
export interface AuditBody {
  schema: 'pcf-edge.audit/2';
  resultId: string;
  subject: { kind: 'product'; id: string };
  options: CalcOptions;
  inputs: {
    referenceVersion: number;
    gwpSet: string;
    entities: { kind: string; id: string; version: number; hash: string }[];
    lines: string[];
    sites: string[];
    /** Every rollup whose energy was read (the window length used, overlapping the period), by id and revision. */
    rollups: { id: string; revision: number }[];
    /** SHA-256 of the canonical JSON of those rollups' stored columns (integer micro-units), lines then sites. */
    rollupsHash: string;
  };
  derivation: unknown;
  result: ProductResultDoc;
}

/** The audit record body of `product` in `calc`; `loaded` must list its rollups (`list: true`). */
export function auditBody(resultId: string, loaded: LoadedInput, calc: PeriodCalculation, product: string): AuditBody {
  if (!loaded.rollups) throw new Error('internal: an audit record needs the rollups listed (load with `list`)');
  const r = calc.product(product);
  const entities = [...calc.usedEntities()]
    .map(([key, e]) => ({
      kind: key.slice(0, key.indexOf(':')),
      id: e.entityId,
      version: e.version,
      hash: contentHash(e.data),
    }))
    .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
  return {
    schema: 'pcf-edge.audit/2',
    resultId,
    subject: { kind: 'product', id: product },
    options: calc.input.options,
    inputs: {
      referenceVersion: calc.input.snapshot.asOfVersion,
      gwpSet: calc.input.options.gwpSet,
      entities,
      lines: loaded.lines,
      sites: loaded.sites,
      rollups: loaded.rollups.map((x) => ({ id: x.id, revision: x.revision })),
      rollupsHash: contentHash(loaded.rollups),
    },
    derivation: r.trace(),
    result: productResultDoc(calc, r),
  };
}
