import { dec, Dec, dimensionOf, isKnownUnit, unknownUnitReason } from '@pcf-edge/pcf-engine';
import type { RowError } from './parse';
import type { ReferenceSnapshot, SupplyMix, SupplySource } from './types';

/**
 * The `supply` kind (ADR 0250): one row per source, the rows of one `id` are one site's supply mix for
 * [validFrom, validTo). Rows → mixes, and the checks of a mix against the snapshot it joins.
 */

const MIX_COLUMNS = ['site', 'validFrom', 'validTo'] as const;

/** A mix about to be imported with its rows (the shape of `checks.ts`'s Candidate, not imported: no cycle). */
interface MixCandidate {
  entityId: string;
  data: SupplyMix;
  rows: number[];
}

/** Groups rows by mix id; the mix's site and validity come from its first row, and every other row must repeat them. */
export function supplyCandidates(rows: Record<string, unknown>[], errors: RowError[]): MixCandidate[] {
  const byId = new Map<string, MixCandidate>();
  rows.forEach((r, i) => {
    const id = r.id as string;
    const { id: _id, site, validFrom, validTo, ...source } = r;
    let c = byId.get(id);
    if (!c) {
      const mix: SupplyMix = {
        id,
        site: site as string,
        validFrom: validFrom as string,
        validTo: (validTo as string | null | undefined) ?? null,
        sources: [],
      };
      byId.set(id, (c = { entityId: id, data: mix, rows: [] }));
    } else {
      const first = c.data;
      const mine: Record<(typeof MIX_COLUMNS)[number], unknown> = { site, validFrom, validTo: validTo ?? null };
      for (const col of MIX_COLUMNS) {
        if (mine[col] !== first[col])
          errors.push({
            row: i + 1,
            column: col,
            reason: `supply mix '${id}' has ${col} ${String(first[col] ?? 'empty')} (row ${c.rows[0]}); every row of a mix repeats it`,
          });
      }
    }
    c.data.sources.push(source as unknown as SupplySource);
    c.rows.push(i + 1);
  });
  return [...byId.values()];
}

type Err = (row: number, column: string, reason: string) => void;
const HUNDRED = new Dec(100);

/** One mix: its site, each source's factor, volume or share and instrument, one residual mix, shares ≤ 100 %. */
export function checkSupplyMix(mix: SupplyMix, rows: number[], s: ReferenceSnapshot, err: Err): void {
  const first = rows[0]!;
  if (!s.sites.has(mix.site)) err(first, 'site', `unknown site '${mix.site}'`);
  if (mix.validTo !== null && Date.parse(mix.validTo) <= Date.parse(mix.validFrom))
    err(first, 'validTo', `must be after validFrom (${mix.validFrom})`);
  let shares = new Dec(0);
  let lastShareRow = first;
  mix.sources.forEach((src, i) => {
    const row = rows[i]!;
    checkSource(src, row, s, err);
    if (src.volume !== undefined && mix.validTo === null)
      err(row, 'validTo', 'a volume is for a period: give the mix a validTo (or give sharePercent instead)');
    if (src.sharePercent !== undefined) {
      shares = shares.plus(dec(src.sharePercent));
      lastShareRow = row;
    }
  });
  const residuals = rows.filter((_r, i) => mix.sources[i]!.source === 'residual-mix');
  const residual = residuals.length;
  if (residual !== 1)
    err(
      residuals[1] ?? first,
      'source',
      `supply mix '${mix.id}' needs exactly one residual-mix row, for the consumption no instrument covers (found ${residual})`,
    );
  if (shares.gt(HUNDRED))
    err(lastShareRow, 'sharePercent', `the shares of supply mix '${mix.id}' add up to ${shares} %, more than 100 %`);
}

function checkSource(src: SupplySource, row: number, s: ReferenceSnapshot, err: Err): void {
  const f = s.factors.get(src.factorId)?.data;
  if (!f) err(row, 'factorId', `unknown factor '${src.factorId}'`);
  else if (f.activity !== 'electricity')
    err(row, 'factorId', `factor '${src.factorId}' is for '${f.activity}', not electricity`);
  if (src.source === 'residual-mix') {
    if (src.volume !== undefined || src.sharePercent !== undefined)
      err(
        row,
        src.volume !== undefined ? 'volume' : 'sharePercent',
        'the residual mix covers whatever the other sources leave: give it no volume or share',
      );
    return;
  }
  if ((src.volume === undefined) === (src.sharePercent === undefined))
    err(
      row,
      'volume',
      `a ${src.source} source gives either volume (with unit) or sharePercent, not ${src.volume === undefined ? 'neither' : 'both'}`,
    );
  if (src.volume !== undefined && dec(src.volume).isNegative())
    err(row, 'volume', `must not be negative (got ${src.volume})`);
  if (src.unit !== undefined) {
    if (!isKnownUnit(src.unit)) err(row, 'unit', unknownUnitReason(src.unit));
    else if (dimensionOf(src.unit) !== 'energy')
      err(row, 'unit', `'${src.unit}' is not an energy unit (kWh, MWh, GJ, …)`);
  }
  if (src.sharePercent !== undefined) {
    const p = dec(src.sharePercent);
    if (p.isNegative() || p.gt(HUNDRED))
      err(row, 'sharePercent', `must be between 0 and 100 (got ${src.sharePercent})`);
  }
  if ((src.source === 'ppa' || src.source === 'certificate') && src.instrument === undefined)
    err(row, 'instrument', `a ${src.source} names its contract or certificates (registry, batch or contract id)`);
}
