import { randomUUID } from 'node:crypto';
import { Dec } from '@pcf-edge/pcf-engine';
import type { Logger } from '@pcf-edge/core';
import type { Supersedes } from '../service/audit-body';
import type { CloudSinkRepository, QueuedDelivery, StoredFootprint, StoredResult } from '../store/repository';
import { buildFootprint, unpublishableReason } from './footprint';
import { loadResultContext } from './inputs';
import type { Announce } from './published-events';
import type { PactCompany, ProductFootprint } from './types';

export interface FootprintPublisherDeps {
  repo: CloudSinkRepository;
  company: PactCompany;
  log: Logger;
  /** The Published events announcing new versions to the partners granted them (`publishedDeliveries`). */
  announce: Announce;
  now?: () => number;
  newId?: () => string;
}

export interface PublishReport {
  published: StoredFootprint[];
  skipped: { resultId: string; reason: string }[];
  /** `ProductFootprint.Published` events queued for delivery (per publication, one per partner granted it). */
  events: QueuedDelivery[];
}

const keyOf = (x: { productId: string; periodStart: string; periodEnd: string }) =>
  `${x.productId}|${x.periodStart}|${x.periodEnd}`;

/**
 * Turns stored product results into PACT footprint versions, in result creation order, following the PACT
 * lifecycle per (product, period): the first result publishes a new id (version 1); a later result with the same
 * method and GWP set is a correction (same id, version + 1); one with another method or GWP set is a major change:
 * the Active footprint gets a final Deprecated version and a new id lists it in `precedingPfIds`. A result that
 * supersedes a published one (a recomputation after late data, ADR 0232) is published the same way as a major
 * change: a new id listing the old one in `precedingPfIds`, the old one Deprecated and still readable. Every
 * publication's new versions are announced by `ProductFootprint.Published` events to the partners granted them,
 * queued in the one delivery queue (ADR 0235). Runs are serialized; each result's versions and their events are
 * written in one transaction.
 */
export function createFootprintPublisher(deps: FootprintPublisherDeps): { sync(): Promise<PublishReport> } {
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const skippedForever = new Map<string, string>();
  let queue: Promise<unknown> = Promise.resolve();

  /** The Active footprint published from the result `stored` supersedes, if any. */
  async function supersededFootprint(
    stored: StoredResult,
    versions: StoredFootprint[],
  ): Promise<{ footprint: StoredFootprint; supersedes: Supersedes } | undefined> {
    const rec = await deps.repo.getAuditRecordForResult(stored.id);
    const supersedes = rec ? (JSON.parse(rec.body) as { supersedes?: Supersedes }).supersedes : undefined;
    if (!supersedes) return undefined;
    const from = versions.find((v) => v.resultId === supersedes.resultId);
    const latest = from ? await deps.repo.getFootprint(from.id) : undefined;
    return latest && latest.status === 'Active' ? { footprint: latest, supersedes } : undefined;
  }

  async function publishOne(
    stored: StoredResult,
    active: Map<string, StoredFootprint>,
    versions: StoredFootprint[],
  ): Promise<StoredFootprint[] | string> {
    const ctx = await loadResultContext(deps.repo, stored);
    if (!ctx) return 'its audit record or product is missing';
    const reason = unpublishableReason(ctx.result, ctx.product);
    if (reason) return reason;
    const at = now();
    const base = {
      productId: stored.subject,
      periodStart: stored.periodStart,
      periodEnd: stored.periodEnd,
      method: stored.method,
      gwpSet: stored.gwpSet,
      resultId: stored.id,
    };
    const build = (id: string, version: number, createdMs: number, precedingPfIds?: string[]) =>
      buildFootprint({
        id,
        version,
        status: 'Active',
        createdMs,
        ...(version > 1 ? { updatedMs: at } : {}),
        ...(precedingPfIds ? { precedingPfIds } : {}),
        company: deps.company,
        resultId: stored.id,
        ...ctx,
      });
    const superseded = await supersededFootprint(stored, versions);
    const current = superseded?.footprint ?? active.get(keyOf(base));
    if (!superseded && current && current.method === stored.method && current.gwpSet === stored.gwpSet) {
      const prev = (current.doc as ProductFootprint).precedingPfIds;
      const doc = build(current.id, current.version + 1, current.createdAtMs, prev);
      return [
        {
          ...base,
          id: current.id,
          version: current.version + 1,
          status: 'Active',
          createdAtMs: current.createdAtMs,
          updatedAtMs: at,
          doc,
        },
      ];
    }
    const rows: StoredFootprint[] = [];
    if (current) {
      const old = current.doc as ProductFootprint;
      rows.push({
        ...current,
        version: current.version + 1,
        status: 'Deprecated',
        updatedAtMs: at,
        doc: {
          ...old,
          version: current.version + 1,
          status: 'Deprecated',
          updated: new Date(at).toISOString(),
          statusComment: superseded
            ? `Superseded: recomputed after late telemetry (PCF change ${new Dec(superseded.supersedes.relativeChange).times(100).toSignificantDigits(6).toString()} %).`
            : `Superseded: recomputed with ${stored.method}-based electricity and ${stored.gwpSet}.`,
        },
      });
    }
    const id = newId();
    rows.push({
      ...base,
      id,
      version: 1,
      status: 'Active',
      createdAtMs: at,
      updatedAtMs: at,
      doc: build(id, 1, at, current ? [current.id] : undefined),
    });
    return rows;
  }

  async function run(): Promise<PublishReport> {
    const versions = await deps.repo.listFootprintVersions();
    const done = new Set(versions.map((v) => v.resultId));
    const active = new Map<string, StoredFootprint>();
    for (const f of await deps.repo.listFootprints()) if (f.status === 'Active') active.set(keyOf(f), f);
    const report: PublishReport = { published: [], skipped: [], events: [] };
    const pending = (await deps.repo.listResults()).filter(
      (r) => r.kind === 'product' && !done.has(r.id) && !skippedForever.has(r.id),
    );
    for (const stored of pending) {
      const out = await publishOne(stored, active, versions);
      if (typeof out === 'string') {
        skippedForever.set(stored.id, out);
        report.skipped.push({ resultId: stored.id, reason: out });
        deps.log.info({ resultId: stored.id, reason: out }, 'result not published as a PACT footprint');
        continue;
      }
      const events = await deps.announce(out);
      await deps.repo.saveFootprintVersions(out, events);
      const last = out[out.length - 1]!;
      active.set(keyOf(last), last);
      versions.push(...out);
      report.published.push(...out);
      report.events.push(...events);
    }
    return report;
  }

  return {
    sync: () => {
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
