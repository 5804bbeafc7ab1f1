import { DECLARED_UNITS, Dec, unitDef, unknownUnitReason } from '@pcf-edge/pcf-engine';
import type { RowError } from './parse';
import type { ReferenceKind } from './types';

/**
 * One canonical form of what a row says, applied after the schema and before the semantic checks, so whatever
 * spelling a file used is stored one way (docs/reference-data.md, ADR 0240):
 * - a unit as its catalogue symbol (`kilogram` → `kg`, `US gallon` → `gal`, `MMBTU` → `MMBtu`);
 * - a decimal string in plain notation (`.5` → `0.5`, `1.2e3` → `1200`); plain ones are kept as written;
 * - a product id without `urn:` as the company's own code, `urn:pathfinder:product:customcode:vendor-assigned:<code>`
 *   (the PACT v2 form for a vendor-assigned product code).
 * Rows are rewritten in place; every problem is reported with its row and column, and nothing is stored then.
 */
export function normalizeRows(kind: ReferenceKind, rows: Record<string, unknown>[], errors: RowError[]): void {
  rows.forEach((r, i) => {
    const err = (column: string, reason: string) => errors.push({ row: i + 1, column, reason });
    switch (kind) {
      case 'products':
        declaredUnit(r, err);
        productIds(r);
        decimals(r, ['unitaryProductAmount', 'massKgPerDeclaredUnit', 'economicValuePerDeclaredUnit']);
        break;
      case 'boms':
        unit(r, 'unit', err);
        decimals(r, ['quantity']);
        break;
      case 'factors':
        unit(r, 'unit', err);
        if (r.energyBasis === undefined) r.energyBasis = null;
        if (r.components && typeof r.components === 'object')
          decimals(r.components as Record<string, unknown>, Object.keys(r.components));
        decimals(r, ['biogenicCarbonContent', 'biogenicCO2Emissions', 'biogenicCO2Removals']);
        break;
      case 'direct-emissions':
        decimals(r, ['amountKg']);
        break;
      case 'orders':
        decimals(r, ['goodQuantity', 'scrapQuantity']);
        break;
      case 'supply':
        if (r.unit !== undefined) unit(r, 'unit', err);
        decimals(r, ['volume', 'sharePercent']);
        break;
      case 'sites':
      case 'lines':
      case 'electricity':
      case 'supplier-pcfs': // a supplier's PACT document is kept as published
        break;
    }
  });
}

type Err = (column: string, reason: string) => void;

function unit(r: Record<string, unknown>, column: string, err: Err): void {
  const given = r[column] as string;
  const d = unitDef(given);
  if (d) r[column] = d.symbol;
  else err(column, unknownUnitReason(given));
}

const declaredList = DECLARED_UNITS.map((d) => (d.pact === d.symbol ? d.symbol : `${d.symbol} (${d.pact})`)).join(', ');

function declaredUnit(r: Record<string, unknown>, err: Err): void {
  const given = r.declaredUnit as string;
  const d = unitDef(given);
  if (d?.pact) r.declaredUnit = d.symbol;
  else
    err(
      'declaredUnit',
      `${d ? `'${given}' is not a PACT declared unit` : unknownUnitReason(given).split(';')[0]}; a product is declared in one of ${declaredList}`,
    );
}

export const VENDOR_PRODUCT_URN = 'urn:pathfinder:product:customcode:vendor-assigned:';

function productIds(r: Record<string, unknown>): void {
  if (!Array.isArray(r.productIds)) return;
  r.productIds = (r.productIds as string[]).map((id) =>
    /^urn:/i.test(id) ? id : `${VENDOR_PRODUCT_URN}${urnCode(id)}`,
  );
}

/** A code percent-encoded for a URN (RFC 8141): unreserved characters kept, others as UTF-8 bytes; never throws. */
function urnCode(code: string): string {
  let out = '';
  for (const ch of code) {
    if (/^[A-Za-z0-9\-._~]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const PLAIN = /^-?\d+(\.\d+)?$/;

function decimals(r: Record<string, unknown>, columns: string[]): void {
  for (const c of columns) {
    const v = r[c];
    if (typeof v === 'string' && !PLAIN.test(v)) r[c] = new Dec(v).toString();
  }
}
