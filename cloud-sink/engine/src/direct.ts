import { dec, ZERO, type Dec } from './decimal';
import { gwp } from './gwp';
import type { GasMasses } from './masses';
import type { CalcOptions } from './options';
import type { DirectEmission, RefEntity, ReferenceSnapshot } from './reference';
import type { TraceNode } from './types';

export interface DirectEmissions {
  /** kgCO2e. */
  value: Dec;
  /** kg per gas, before GWP. */
  ghg: GasMasses;
  trace: TraceNode[];
}

/**
 * Direct process emissions valid at the period's start that apply: `activity(d)` gives the activity a record
 * multiplies (declared units or hours), or undefined when it does not apply. Each record read is noted in `used`.
 */
export function directEmissions(
  snapshot: ReferenceSnapshot,
  options: CalcOptions,
  activity: (d: DirectEmission) => { quantity: Dec; unit: string } | undefined,
  used: Map<string, RefEntity>,
): DirectEmissions {
  let value = ZERO;
  const ghg: GasMasses = new Map();
  const trace: TraceNode[] = [];
  const at = Date.parse(options.periodStart);
  for (const e of snapshot['direct-emissions'].values()) {
    const d = e.data;
    if (Date.parse(d.validFrom) > at || (d.validTo != null && Date.parse(d.validTo) <= at)) continue;
    const a = activity(d);
    if (!a) continue;
    used.set(`direct-emissions:${e.entityId}`, e);
    const kg = a.quantity.times(d.amountKg);
    const v = kg.times(gwp(options.gwpSet, d.gas));
    value = value.plus(v);
    ghg.set(d.gas, (ghg.get(d.gas) ?? ZERO).plus(kg));
    trace.push({
      name: `direct ${d.gas} (${d.id})`,
      value: v.toString(),
      unit: 'kgCO2e',
      formula: `${a.quantity} ${a.unit} × ${d.amountKg} kg ${d.gas} × GWP ${gwp(options.gwpSet, d.gas)}`,
    });
  }
  return { value, ghg, trace };
}

/** The activity of an order's direct emissions: per declared unit × (good + scrap), per line hour × order hours. */
export const orderActivity =
  (o: { product: string; line: string; goodInPeriod: Dec; scrapInPeriod: Dec; startMs: number; endMs: number }) =>
  (d: DirectEmission): { quantity: Dec; unit: string } | undefined => {
    if (!((d.scope === 'product' && d.ref === o.product) || (d.scope === 'line' && d.ref === o.line))) return undefined;
    return d.per === 'declaredUnit'
      ? { quantity: o.goodInPeriod.plus(o.scrapInPeriod), unit: 'units' }
      : { quantity: dec(o.endMs - o.startMs).div(3_600_000), unit: 'h' };
  };
