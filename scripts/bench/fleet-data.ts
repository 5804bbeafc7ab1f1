import { createHash } from 'node:crypto';
import {
  newGatewayKey,
  rollupId,
  type GatewayJwk,
  type LineRollup,
  type MeterCounterRollup,
  type MeterGaugeRollup,
  type Rollup,
  type SiteRollup,
} from '@pcf-edge/core';
import { mulberry32 } from '../../test-support/prng';

/**
 * The fleet benchmark's data: what each simulated gateway's aggregator would have put in its outbox, one message per
 * simulated minute. Deterministic in (shape, gateway), so every run of every phase sends the very same rollups and
 * the expected database state can be recomputed without keeping what was sent.
 */
export interface FleetShape {
  gateways: number;
  /** Meters per gateway; each gives a 1-minute energy counter rollup and a 1-minute power gauge rollup. */
  meters: number;
  /** Lines per gateway (meters are spread over them); each gives a 1-minute line rollup. */
  lines: number;
  /** Simulated minutes per gateway: one message each (plus resends). */
  minutes: number;
  /** First window start, epoch ms (a whole minute). */
  startMs: number;
  /** Every n-th minute also carries revision 2 of the previous minute's line rollups (late data); 0 = never. */
  reviseEvery: number;
  /** Every n-th message is sent twice (an acknowledgement lost, as after an exporter crash); 0 = never. */
  resendEvery: number;
}

export interface GatewayMessage {
  rollups: Rollup[];
  /** Send this message a second time right after the first (at-least-once delivery). */
  resend: boolean;
}

const MINUTE = 60_000;
export const gatewayId = (g: number) => `gw-${String(g).padStart(4, '0')}`;
export const siteOf = (g: number) => `site-${String(g).padStart(4, '0')}`;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * One Ed25519 signing key per gateway (index = gateway number), made afresh for each run and kept in memory: the
 * orchestrator registers the public halves (fleet-run.ts `freshSchema`) and hands the private ones to the processes
 * that sign over IPC, never in argv, files or logs.
 */
export const gatewayKeys = (gateways: number): GatewayJwk[] => Array.from({ length: gateways }, () => newGatewayKey());

/** The messages gateway `g` sends, in order. */
export function* gatewayMessages(shape: FleetShape, g: number): Generator<GatewayMessage> {
  const rnd = mulberry32(0x9e3779b1 ^ (g * 2654435761));
  const site = siteOf(g);
  let previousLines: LineRollup[] = [];
  for (let t = 0; t < shape.minutes; t++) {
    const windowStartMs = shape.startMs + t * MINUTE;
    const common: Common = {
      revision: 1,
      site,
      windowStart: new Date(windowStartMs).toISOString(),
      windowMs: MINUTE,
      coverage: 1,
      estimated: false,
      flags: [],
    };
    const rollups: Rollup[] = [];
    const lineKWh = new Array<number>(shape.lines).fill(0);
    for (let m = 0; m < shape.meters; m++) {
      const line = `L${m % shape.lines}`;
      const meterId = `m${m}`;
      const kW = round3(20 + rnd() * 80);
      const delta = round3(kW / 60);
      lineKWh[m % shape.lines]! += delta;
      const key = { site, line, meterId, windowMs: MINUTE, windowStartMs };
      const counter: MeterCounterRollup = {
        ...common,
        id: rollupId({ ...key, type: 'meterCounter', point: 'energy' }),
        type: 'meterCounter',
        line,
        meterId,
        point: 'energy',
        quantity: 'activeEnergyImport',
        kind: 'counter',
        unit: 'kWh',
        delta,
        methods: ['measured'],
        readingCount: 6,
      };
      const gauge: MeterGaugeRollup = {
        ...common,
        id: rollupId({ ...key, type: 'meterGauge', point: 'power' }),
        type: 'meterGauge',
        line,
        meterId,
        point: 'power',
        quantity: 'activePower',
        kind: 'gauge',
        unit: 'kW',
        min: round3(kW * 0.9),
        max: round3(kW * 1.1),
        mean: kW,
        last: kW,
        readingCount: 6,
      };
      rollups.push(counter, gauge);
    }
    const lines = lineKWh.map((kWh, l) => lineRollup(common, windowStartMs, `L${l}`, round3(kWh), 1 + (t % 7)));
    rollups.push(...lines);
    const baseload = round3(1 + rnd());
    const site$: SiteRollup = {
      ...common,
      id: rollupId({ type: 'site', site, windowMs: MINUTE, windowStartMs }),
      type: 'site',
      electricityKWh: round3(lines.reduce((s, r) => s + r.electricityKWh, 0) + baseload),
      baseloadKWh: baseload,
      gasM3: 0,
      gasKWh: 0,
      gasCvBasis: null,
      unitsGood: lines.reduce((s, r) => s + r.unitsGood, 0),
      unitsScrap: 0,
      lines: lines.map((r) => r.line),
    };
    rollups.push(site$);
    if (shape.reviseEvery > 0 && t % shape.reviseEvery === shape.reviseEvery - 1)
      for (const r of previousLines)
        rollups.push({
          ...r,
          revision: 2,
          flags: ['late'],
          electricityKWh: round3(r.electricityKWh + 0.125),
        });
    previousLines = lines;
    yield { rollups, resend: shape.resendEvery > 0 && t % shape.resendEvery === shape.resendEvery - 1 };
  }
}

type Common = Pick<LineRollup, 'revision' | 'site' | 'windowStart' | 'windowMs' | 'coverage' | 'estimated' | 'flags'>;

function lineRollup(common: Common, windowStartMs: number, line: string, kWh: number, units: number): LineRollup {
  return {
    ...common,
    id: rollupId({ type: 'line', site: common.site, line, windowMs: MINUTE, windowStartMs }),
    type: 'line',
    line,
    electricityKWh: kWh,
    gasM3: 0,
    gasKWh: 0,
    gasCvBasis: null,
    unitsGood: units,
    unitsScrap: 0,
    kWhPerUnit: round3(kWh / units),
    meters: [],
  };
}

/** Rollups whose end-to-end lag is sampled: ids starting with `0` (1 in 16; ids are SHA-256 hex). */
export const isLagSample = (id: string) => id.charCodeAt(0) === 48;

/** What the database must hold once everything is consumed. */
export interface ExpectedState {
  /** id → `revision:md5(JSON of the highest revision)`, compared with the stored `doc`. */
  rows: Map<string, string>;
  /** Distinct (id, revision) pairs sent: no consumer may apply more rows than this. */
  pairs: number;
  /** Records put (resends included) and rollups carried by them. */
  records: number;
  rollupsSent: number;
}

export const docDigest = (revision: number, doc: string) =>
  `${revision}:${createHash('md5').update(doc).digest('hex')}`;

/** The expected state for gateways [0, shape.gateways) (the store keeps JSON.stringify of the rollup as received). */
export function expectedState(shape: FleetShape): ExpectedState {
  const best = new Map<string, Rollup>();
  const pairs = new Set<string>();
  let records = 0,
    rollupsSent = 0;
  for (let g = 0; g < shape.gateways; g++)
    for (const m of gatewayMessages(shape, g)) {
      records += m.resend ? 2 : 1;
      rollupsSent += m.rollups.length * (m.resend ? 2 : 1);
      for (const r of m.rollups) {
        const cur = best.get(r.id);
        pairs.add(`${r.id}:${r.revision}`);
        if (!cur || r.revision > cur.revision) best.set(r.id, r);
      }
    }
  const rows = new Map<string, string>();
  for (const [id, r] of best) rows.set(id, docDigest(r.revision, JSON.stringify(r)));
  return { rows, pairs: pairs.size, records, rollupsSent };
}
