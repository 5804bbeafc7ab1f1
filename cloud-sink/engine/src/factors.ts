import { PcfError } from '@pcf-edge/core';
import type {
  ElectricityMapping,
  EmissionFactor,
  RefEntity,
  ReferenceSnapshot,
  SupplierPcf,
  SupplyMix,
} from './reference';
import { dec, type Dec } from './decimal';
import { co2ePerUnit, type GwpSet } from './gwp';
import { EXACT_UNITS, type Units } from './units';

const ms = (t: string | null | undefined) => (t == null ? Number.POSITIVE_INFINITY : Date.parse(t));
const iso = (at: number) => new Date(at).toISOString();

/** Looks factors up in a snapshot; every miss is ERR_FACTOR_MISSING naming what was looked for — never a default. */
export class FactorBook {
  private readonly co2e = new Map<string, Dec>();
  private readonly gases = new Map<string, [string, Dec][]>();
  private readonly byActivity = new Map<string, { e: RefEntity<EmissionFactor>; from: number; to: number }[]>();
  private readonly lookups = new Map<string, EmissionFactor>();
  private readonly mappings: { e: RefEntity<ElectricityMapping>; from: number; to: number }[];
  private readonly suppliers: { e: RefEntity<SupplierPcf>; from: number; to: number }[];
  private readonly mixes: { e: RefEntity<SupplyMix>; from: number; to: number }[];
  /** Every factor, mapping and supplier PCF read, by kind and id (the audit's input list). */
  readonly used = new Map<string, RefEntity>();

  constructor(
    private readonly snapshot: ReferenceSnapshot,
    private readonly gwpSet: GwpSet,
    /** The unit table every conversion of the calculation uses. */
    readonly units: Units = EXACT_UNITS,
  ) {
    for (const f of snapshot.factors.values()) {
      const list = this.byActivity.get(f.data.activity) ?? [];
      list.push({ e: f, from: Date.parse(f.data.validFrom), to: ms(f.data.validTo) });
      this.byActivity.set(f.data.activity, list);
    }
    this.mappings = [...snapshot.electricity.values()].map((e) => ({
      e,
      from: Date.parse(e.data.validFrom),
      to: ms(e.data.validTo),
    }));
    this.mixes = [...snapshot.supply.values()]
      .map((e) => ({ e, from: Date.parse(e.data.validFrom), to: ms(e.data.validTo) }))
      .sort((a, b) => a.from - b.from);
    this.suppliers = [...snapshot['supplier-pcfs'].values()]
      .map((e) => {
        const p = e.data;
        const endRef = new Date(p.pcf.referencePeriodEnd);
        endRef.setUTCFullYear(endRef.getUTCFullYear() + 3);
        return {
          e,
          from: Date.parse(p.validityPeriodStart ?? p.pcf.referencePeriodEnd),
          to: p.validityPeriodEnd ? Date.parse(p.validityPeriodEnd) : endRef.getTime(),
        };
      })
      .sort((a, b) => b.e.data.version - a.e.data.version);
  }

  private use<T>(kind: string, e: RefEntity<T>): T {
    this.used.set(`${kind}:${e.entityId}`, e as RefEntity);
    return e.data;
  }

  factor(activity: string, region: string | undefined, at: number): EmissionFactor {
    const key = `${activity}\u001f${region ?? ''}\u001f${at}`;
    const hit = this.lookups.get(key);
    if (hit) return hit;
    const matches = (this.byActivity.get(activity) ?? [])
      .filter((f) => (region === undefined || f.e.data.region === region) && f.from <= at && at < f.to)
      .map((f) => f.e);
    const where = `${activity}${region ? ` in ${region}` : ''} at ${iso(at)}`;
    if (matches.length === 0)
      throw new PcfError('ERR_FACTOR_MISSING', `no emission factor for ${where}`, { activity, region, at: iso(at) });
    if (matches.length > 1) {
      throw new PcfError(
        'ERR_FACTOR_MISSING',
        `several emission factors for ${where} (${matches.map((m) => m.entityId).join(', ')}): give a region`,
        { activity, region, at: iso(at) },
      );
    }
    const found = this.use('factors', matches[0]!);
    this.lookups.set(key, found);
    return found;
  }

  /** `factor(…)` with the found factor's validity [from, to) in epoch ms. */
  factorSpan(
    activity: string,
    region: string | undefined,
    at: number,
  ): { factor: EmissionFactor; from: number; to: number } {
    const factor = this.factor(activity, region, at);
    const entry = this.byActivity.get(activity)!.find((f) => f.e.data === factor)!;
    return { factor, from: entry.from, to: entry.to };
  }

  factorById(id: string): EmissionFactor {
    const f = this.snapshot.factors.get(id);
    if (!f) throw new PcfError('ERR_FACTOR_MISSING', `emission factor '${id}' does not exist`, { factorId: id });
    return this.use('factors', f);
  }

  /** kg CO2e per factor unit under the book's GWP set. */
  co2ePerUnit(f: EmissionFactor): Dec {
    let v = this.co2e.get(f.id);
    if (!v) {
      v = co2ePerUnit(f.components, this.gwpSet);
      this.co2e.set(f.id, v);
    }
    return v;
  }

  /** kg of each gas per factor unit (the factor's components, before GWP). */
  gasesPerUnit(f: EmissionFactor): [string, Dec][] {
    let v = this.gases.get(f.id);
    if (!v) this.gases.set(f.id, (v = Object.entries(f.components).map(([gas, kg]) => [gas, dec(kg)])));
    return v;
  }

  electricityMapping(site: string, at: number): ElectricityMapping {
    return this.electricityMappingSpan(site, at).mapping;
  }

  /** The mapping valid at `at` with its validity [from, to) in epoch ms, so callers can reuse it until `to`. */
  electricityMappingSpan(site: string, at: number): { mapping: ElectricityMapping; from: number; to: number } {
    for (const m of this.mappings) {
      if (m.e.data.site === site && m.from <= at && at < m.to)
        return { mapping: this.use('electricity', m.e), from: m.from, to: m.to };
    }
    throw new PcfError(
      'ERR_FACTOR_MISSING',
      `no electricity mapping (location/market factors) for site ${site} at ${iso(at)}`,
      { site, at: iso(at) },
    );
  }

  /** The site's supply mixes whose validity [from, to) overlaps [fromMs, toMs), by start; each is an input read. */
  supplyMixes(site: string, fromMs: number, toMs: number): { mix: SupplyMix; from: number; to: number }[] {
    return this.mixes
      .filter((m) => m.e.data.site === site && m.from < toMs && fromMs < m.to)
      .map((m) => ({ mix: this.use('supply', m.e), from: m.from, to: m.to }));
  }

  /**
   * The supplier PCF for a product id valid at `at`: status Active, validity [validityPeriodStart ??
   * referencePeriodEnd, validityPeriodEnd ?? referencePeriodEnd + 3 years) per PACT v2; highest version wins.
   */
  supplierPcf(productId: string, at: number): SupplierPcf {
    const valid = this.suppliers
      .filter(
        (s) => s.e.data.status === 'Active' && s.e.data.productIds.includes(productId) && s.from <= at && at < s.to,
      )
      .map((s) => s.e);
    if (valid.length === 0)
      throw new PcfError('ERR_FACTOR_MISSING', `no valid supplier PCF for ${productId} at ${iso(at)}`, {
        productId,
        at: iso(at),
      });
    return this.use('supplier-pcfs', valid[0]!);
  }
}
