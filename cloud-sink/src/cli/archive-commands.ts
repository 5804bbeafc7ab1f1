import { PcfError } from '@pcf-edge/core';
import { archiveAt } from '../archive/open';
import { currentViewDigest, replayArchive } from '../archive/replay';
import type { CliContext } from './commands';

type Values = Record<string, string | boolean | undefined>;

/** `replay --from <archive>`: rebuilds the rollup store from the archive; `replay --digest`: prints the view's digest. */
export async function replayCommand(ctx: CliContext, values: Values): Promise<number> {
  const from = values.from;
  if (values.digest === true && from === undefined) {
    const d = await currentViewDigest(ctx.repo);
    ctx.out(`current view: ${d.rollups} rollups, sha256 ${d.sha256}`);
    return 0;
  }
  if (typeof from !== 'string' || from === '')
    throw new PcfError(
      'ERR_USAGE',
      'replay: --from <folder|s3://bucket/prefix/> is required (or --digest; see --help)',
    );
  const archive = archiveAt(from, typeof values['s3-endpoint'] === 'string' ? values['s3-endpoint'] : undefined);
  const r = await replayArchive(ctx.repo, archive);
  const d = await currentViewDigest(ctx.repo);
  ctx.out(
    `replayed ${r.batches} batches from ${archive.location}: ${r.rollups} rollups, ${r.revisions} revisions kept, ${r.deadLettered} dead-lettered`,
  );
  ctx.out(`current view: ${d.rollups} rollups, sha256 ${d.sha256}`);
  return 0;
}
