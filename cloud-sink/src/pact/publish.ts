import { randomUUID } from 'node:crypto';
import type { Logger } from '@pcf-edge/core';
import type { CloudSinkRepository, StoredFootprint, StoredResult } from '../store/repository';
import { buildFootprint, unpublishableReason } from './footprint';
import { loadResultContext } from './inputs';
import type { PactCompany, ProductFootprint } from './types';

export interface FootprintPublisherDeps {
  repo: CloudSinkRepository;
  company: PactCompany;
  log: Logger;
  now?: () => number;
  newId?: () => string;
}

export interface PublishReport {
  published: StoredFootprint[];
  skipped: { resultId: string; reason: string }[];
}

const keyOf = (x: { productId: string; periodStart: string; periodEnd: string }) =>
  `${x.productId}|${x.periodStart}|${x.periodEnd}`;

/**
 * Turns stored product results into PACT footprint versions, in result creation order, following the PACT
 * lifecycle per (product, period): the first result publishes a new id (version 1); a later result with the same
 * method and GWP set is a correction (same id, version + 1); one with another method or GWP set is a major change:
 * the Active footprint gets a final Deprecated version and a new id lists it in `precedingPfIds`. Runs are
 * serialized; each result's versions are written in one transaction.
 */
export function createFootprintPublisher(deps: FootprintPublisherDeps): { sync(): Promise<PublishReport> } {
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const skippedForever = new Map<string, string>();
  let queue: Promise<unknown> = Promise.resolve();

  async function publishOne(
    stored: StoredResult,
    active: Map<string, StoredFootprint>,
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
    const current = active.get(keyOf(base));
    if (current && current.method === stored.method && current.gwpSet === stored.gwpSet) {
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
          statusComment: `Superseded: recomputed with ${stored.method}-based electricity and ${stored.gwpSet}.`,
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
    const report: PublishReport = { published: [], skipped: [] };
    const pending = (await deps.repo.listResults()).filter(
      (r) => r.kind === 'product' && !done.has(r.id) && !skippedForever.has(r.id),
    );
    for (const stored of pending) {
      const out = await publishOne(stored, active);
      if (typeof out === 'string') {
        skippedForever.set(stored.id, out);
        report.skipped.push({ resultId: stored.id, reason: out });
        deps.log.info({ resultId: stored.id, reason: out }, 'result not published as a PACT footprint');
        continue;
      }
      await deps.repo.saveFootprintVersions(out);
      const last = out[out.length - 1]!;
      active.set(keyOf(last), last);
      report.published.push(...out);
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
