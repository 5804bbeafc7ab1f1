import { PcfError } from '@pcf-edge/core';
import type { Buckets } from './allocation';
import { dec, Dec, ZERO } from './decimal';
import type { FactorBook } from './factors';
import { addMasses, type GasMasses } from './masses';
import type { ElectricityMethod } from './options';
import type { ReferenceSnapshot, SupplyMix, SupplySourceType } from './reference';
import type { TraceNode } from './types';

/** One source's part of a site's consumption in the period, priced with its own factor. */
export interface SupplyPart {
  source: SupplySourceType;
  factorId: string;
  instrument?: string;
  /** kWh of the consumption this source covers: its volume, its share of the consumption, or (residual) the rest. */
  kWh: Dec;
  /** kWh in the factor's unit × its kgCO2e per unit. */
  kg: Dec;
  formula: string;
}

/**
 * The market-based split of one site's metered electricity in the calculation period (ADR 0250): contracted and
 * certified sources first, each kWh × its own factor; the residual mix for the rest. The site's market-based
 * factor is `totalKg ÷ consumptionKWh`; a bucket of q kWh is priced q × totalKg ÷ consumptionKWh (multiplied
 * before divided, so the whole consumption gives totalKg exactly).
 */
export interface SupplySplit {
  mix: string;
  site: string;
  consumptionKWh: Dec;
  /** Contracted and certified kWh (the residual mix covers consumption − this). */
  contractedKWh: Dec;
  /** Sources in file order, the residual mix last. */
  parts: SupplyPart[];
  totalKg: Dec;
  /** kg of each gas of the whole consumption, before GWP. */
  gases: GasMasses;
}

/** What the site's supply mixes say for the period: a split to price with, or a note why none applies. */
export type SiteSupply = { split: SupplySplit } | { note: string };

const iso = (ms: number) => new Date(ms).toISOString();
const HUNDRED = new Dec(100);

/**
 * What each site's supply mix says for the period, for every site with metered electricity in it. A site's
 * consumption is Σ the metered electricity its mappings price — its lines' and its baseload's, as allocated — so a
 * site with a mix needs every one of its lines in the calculation (the service loads them; ADR 0250).
 */
export function siteSupplies(
  snapshot: ReferenceSnapshot,
  loadedLines: ReadonlySet<string>,
  metered: Iterable<Buckets>,
  book: FactorBook,
  fromMs: number,
  toMs: number,
  method: ElectricityMethod,
): Map<string, SiteSupply> {
  const consumption = new Map<string, Dec>();
  for (const b of metered) {
    for (const [key, kWh] of b) {
      if (!key.startsWith('e:')) continue;
      const site = snapshot.electricity.get(key.slice(2))!.data.site;
      consumption.set(site, (consumption.get(site) ?? ZERO).plus(kWh));
    }
  }
  const out = new Map<string, SiteSupply>();
  for (const [site, kWh] of consumption) {
    const s = siteSupply(book, site, fromMs, toMs, kWh, method);
    if (s === undefined) continue;
    const missing = [...snapshot.lines.values()].filter((l) => l.data.site === site && !loadedLines.has(l.entityId));
    if ('split' in s && missing.length > 0)
      throw new Error(
        `internal: site ${site} has a supply mix but lines ${missing.map((l) => l.entityId).join(', ')} were not loaded`,
      );
    out.set(site, s);
  }
  return out;
}

/**
 * The supply mix of `site` for the period [fromMs, toMs), given the site's metered electricity in it. None
 * overlapping ⇒ undefined (the electricity mapping alone prices the market-based figures). A mix applies when it
 * alone covers the whole period and, if it gives volumes, its validity is exactly the period (volumes are matched
 * against the consumption of the period they were bought for). Otherwise a market-based calculation is refused
 * (ERR_SUPPLY_PERIOD) and a location-based one gets a note: its market figures come from the mapping.
 */
export function siteSupply(
  book: FactorBook,
  site: string,
  fromMs: number,
  toMs: number,
  consumptionKWh: Dec,
  method: ElectricityMethod,
): SiteSupply | undefined {
  const mixes = book.supplyMixes(site, fromMs, toMs);
  if (mixes.length === 0) return undefined;
  const period = `${iso(fromMs)} – ${iso(toMs)}`;
  let why: string | undefined;
  const m = mixes[0]!;
  if (mixes.length > 1) why = `supply mixes ${mixes.map((x) => x.mix.id).join(' and ')} both apply in ${period}`;
  else if (m.from > fromMs || m.to < toMs) why = `supply mix ${m.mix.id} of site ${site} covers only part of ${period}`;
  else if (m.mix.sources.some((s) => s.volume !== undefined) && (m.from !== fromMs || m.to !== toMs))
    why = `supply mix ${m.mix.id} of site ${site} gives volumes for ${m.mix.validFrom} – ${m.mix.validTo ?? 'open'}, not for ${period}: calculate its period, or give shares`;
  if (why === undefined) return { split: splitSupply(book, m.mix, consumptionKWh, fromMs, toMs) };
  if (method === 'market') throw new PcfError('ERR_SUPPLY_PERIOD', why, { site, periodStart: iso(fromMs) });
  return { note: `${why}; the market-based figures use the electricity mapping` };
}

/**
 * Σ(contracted kWh × their factor) + (consumption − Σ contracted kWh) × residual factor, source by source.
 * Contracted kWh above the consumption is ERR_SUPPLY_EXCEEDS naming the excess, the site and the period.
 */
export function splitSupply(
  book: FactorBook,
  mix: SupplyMix,
  consumptionKWh: Dec,
  fromMs: number,
  toMs: number,
): SupplySplit {
  const parts: SupplyPart[] = [];
  const gases: GasMasses = new Map();
  let contracted = ZERO,
    totalKg = ZERO;
  const price = (s: SupplyMix['sources'][number], kWh: Dec, how: string): void => {
    const f = book.factorById(s.factorId);
    const inF = book.units.convert(kWh, 'kWh', f.unit);
    const kg = inF.times(book.co2ePerUnit(f));
    addMasses(gases, book.gasesPerUnit(f), inF);
    totalKg = totalKg.plus(kg);
    parts.push({
      source: s.source,
      factorId: f.id,
      ...(s.instrument !== undefined ? { instrument: s.instrument } : {}),
      kWh,
      kg,
      formula: `${how} → ${f.unit} × ${book.co2ePerUnit(f)} kgCO2e/${f.unit}`,
    });
  };
  for (const s of mix.sources) {
    if (s.source === 'residual-mix') continue;
    const kWh =
      s.volume !== undefined
        ? book.units.convert(dec(s.volume), s.unit!, 'kWh')
        : consumptionKWh.times(dec(s.sharePercent!)).div(HUNDRED);
    contracted = contracted.plus(kWh);
    price(
      s,
      kWh,
      s.volume !== undefined ? `${s.volume} ${s.unit} = ${kWh} kWh` : `${s.sharePercent} % of ${consumptionKWh} kWh`,
    );
  }
  if (contracted.gt(consumptionKWh)) {
    const excess = contracted.minus(consumptionKWh);
    const period = `${iso(fromMs)} – ${iso(toMs)}`;
    throw new PcfError(
      'ERR_SUPPLY_EXCEEDS',
      `supply mix ${mix.id}: contracted and certified electricity of site ${mix.site} exceeds its consumption in ${period} by ${excess} kWh (${contracted} kWh against ${consumptionKWh} kWh metered)`,
      {
        mix: mix.id,
        site: mix.site,
        periodStart: iso(fromMs),
        periodEnd: iso(toMs),
        excessKWh: excess.toString(),
        contractedKWh: contracted.toString(),
        consumptionKWh: consumptionKWh.toString(),
      },
    );
  }
  const residual = mix.sources.find((s) => s.source === 'residual-mix')!;
  const rest = consumptionKWh.minus(contracted);
  price(residual, rest, `${consumptionKWh} − ${contracted} = ${rest} kWh`);
  return { mix: mix.id, site: mix.site, consumptionKWh, contractedKWh: contracted, parts, totalKg, gases };
}

/** kgCO2e of `kWh` of the site's electricity at the split's market-based factor (0 when nothing was consumed). */
export function priceBySplit(split: SupplySplit, kWh: Dec): { kg: Dec; gases: [string, Dec][] } {
  if (split.consumptionKWh.isZero()) return { kg: ZERO, gases: [] };
  const c = split.consumptionKWh;
  return {
    kg: kWh.times(split.totalKg).div(c),
    gases: [...split.gases].map(([gas, kg]) => [gas, kWh.times(kg).div(c)]),
  };
}

/** The split as derivation nodes: the site's consumption, each source's kWh, factor and kgCO2e, the residual. */
export function splitTrace(split: SupplySplit): TraceNode[] {
  return [
    {
      name: `site ${split.site} electricity metered in the period (its lines and baseload)`,
      value: split.consumptionKWh.toString(),
      unit: 'kWh',
    },
    ...split.parts.map((p) => ({
      name: `${p.source === 'residual-mix' ? 'residual mix' : p.source} (${p.factorId}${p.instrument !== undefined ? `, ${p.instrument}` : ''}): ${p.kWh} kWh`,
      value: p.kg.toString(),
      unit: 'kgCO2e',
      formula: p.formula,
    })),
  ];
}
