import { PcfError } from '@pcf-edge/core';
import { Dec, present } from '@pcf-edge/pcf-engine';
import type { TraceNode } from '@pcf-edge/pcf-engine';
import type { AuditBody } from '../service/pcf-service';
import type { CloudSinkRepository } from '../store/repository';

const isNumeric = (v: string) => /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(v);

/** The derivation as an indented tree: `name = value unit   [formula]`, values shown to 6 decimals. */
export function renderTree(node: TraceNode, prefix = '', last = true, root = true): string[] {
  const value = isNumeric(node.value) ? present(new Dec(node.value), 6) : node.value;
  const head = `${root ? '' : `${prefix}${last ? '└─ ' : '├─ '}`}${node.name} = ${value} ${node.unit}${node.formula ? `   [${node.formula}]` : ''}`;
  const childPrefix = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
  const kids = node.children ?? [];
  return [head, ...kids.flatMap((c, i) => renderTree(c, childPrefix, i === kids.length - 1, false))];
}

/** Readable audit of one result: header, derivation tree, inputs, balances and chain link. */
export async function showAudit(repo: CloudSinkRepository, resultId: string): Promise<string> {
  const rec = await repo.getAuditRecordForResult(resultId);
  if (!rec) throw new PcfError('ERR_NOT_FOUND', `no audit record for result '${resultId}'`, { resultId });
  const body = JSON.parse(rec.body) as AuditBody;
  const r = body.result;
  const lines = [
    `result ${resultId} (audit record #${rec.id})`,
    `product ${r.product}, period ${r.periodStart} – ${r.periodEnd}, electricity ${r.method}-based, GWP ${r.gwpSet}, keys share=${r.shareKey} overhead=${r.overheadKey}`,
    `PCF ${r.pcfPerDeclaredUnitDisplay} kgCO2e per ${r.declaredUnit} (full precision ${r.pcfPerDeclaredUnit}); primary data share ${r.primaryDataShare} %`,
    '',
    'derivation',
    ...renderTree(body.derivation as TraceNode).map((l) => `  ${l}`),
    '',
    `inputs (reference version ${body.inputs.referenceVersion})`,
    ...body.inputs.entities.map((e) => `  ${e.kind} ${e.id} v${e.version} sha256 ${e.hash.slice(0, 16)}…`),
    `  rollups: ${body.inputs.rollups.length} on lines ${body.inputs.lines.join(', ') || '-'} and sites ${body.inputs.sites.join(', ') || '-'} ${'rollupsHash' in body.inputs ? ` (sha256 ${(body.inputs as { rollupsHash: string }).rollupsHash.slice(0, 16)}…)` : ', each by (id, revision) and sha256'}`,
    '',
    'energy balance (allocated + overhead + unallocated = metered)',
    ...r.balances.map(
      (b) =>
        `  ${b.line}: metered ${b.metered}, allocated ${b.allocated}, overhead ${b.overhead}, unallocated ${b.unallocated}, residual ${b.residual}`,
    ),
    '',
    `chain: prev ${rec.prevHash}`,
    `       hash ${rec.hash}`,
  ];
  if (r.warnings.length > 0) lines.push('', 'warnings', ...r.warnings.map((w) => `  ${w}`));
  return lines.join('\n');
}
