/**
 * `npm run lint:commits [-- --base <rev>] [--head <rev>]`: fails when a commit after `base` (default: the tree's
 * Prettier-format commit) has a subject over 72 characters or no body saying why. Merge commits are exempt.
 * In a shallow clone that lacks `base`, every commit it holds is checked (all of them are newer than `base`).
 * Exit codes: 0 every commit conforms, 1 a commit does not (each is listed), 2 usage or repository error.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { PcfError, runMain } from '@pcf-edge/core';

/** The commit that formatted the whole tree with Prettier: history before it predates the commit rules. */
export const FORMAT_COMMIT = '285728d1a4b3069f4f5f78bb428d8c3e4cfef99c';
export const MAX_SUBJECT = 72;

const HELP = `usage: npm run lint:commits -- [--base <rev>] [--head <rev>]

Checks every non-merge commit in <base>..<head>: subject (first paragraph) at most ${MAX_SUBJECT} characters, and a
body (after a blank line) saying why. Trailers such as Signed-off-by do not count as a body.
  --base <rev>   first commit NOT checked (default ${FORMAT_COMMIT.slice(0, 12)}, the Prettier-format commit)
  --head <rev>   last commit checked (default HEAD)
  --help         this text
Exit codes: 0 all conform, 1 some do not (each listed), 2 usage or repository error.`;

const TRAILER = /^(Signed-off-by|Co-authored-by|Reviewed-by|Acked-by|Tested-by|Change-Id):/i;

export interface CommitProblem {
  sha: string;
  subject: string;
  problem: string;
}

export interface CommitReport {
  /** Non-merge commits checked. */
  checked: number;
  problems: CommitProblem[];
  /** Set when the base is missing from a shallow clone and every commit present was checked. */
  note?: string;
}

function git(cwd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new PcfError('ERR_USAGE', `cannot run git: ${r.error.message}`);
  return { ok: r.status === 0, out: r.stdout, err: r.stderr.trim() };
}

const hasCommit = (cwd: string, rev: string): boolean => git(cwd, ['cat-file', '-e', `${rev}^{commit}`]).ok;

/** The revision range to check, or an error naming what is wrong with the repository. */
function rangeOf(cwd: string, base: string, head: string): { range: string[]; note?: string } {
  if (!hasCommit(cwd, head)) throw new PcfError('ERR_USAGE', `head ${head} is not a commit in ${cwd}`);
  if (!hasCommit(cwd, base)) {
    if (git(cwd, ['rev-parse', '--is-shallow-repository']).out.trim() === 'true')
      return {
        range: [head],
        note: `base ${base.slice(0, 12)} is not in this shallow clone: checked every commit it holds`,
      };
    throw new PcfError('ERR_USAGE', `base ${base} is not a commit in this repository's history`);
  }
  if (!git(cwd, ['merge-base', '--is-ancestor', base, head]).ok)
    throw new PcfError('ERR_USAGE', `base ${base.slice(0, 12)} is not an ancestor of ${head}`);
  return { range: [`${base}..${head}`] };
}

/** Checks the non-merge commits of `base..head` in the repository at `cwd`. */
export function checkCommits(cwd: string, base = FORMAT_COMMIT, head = 'HEAD'): CommitReport {
  const { range, note } = rangeOf(cwd, base, head);
  // %s is the first paragraph (lines joined by spaces), %b everything after the first blank line.
  const log = git(cwd, ['log', '--no-merges', '-z', '--format=%H%x1f%s%x1f%b', ...range, '--']);
  if (!log.ok) throw new PcfError('ERR_USAGE', `git log failed: ${log.err}`);
  const problems: CommitProblem[] = [];
  const records = log.out.split('\0').filter((r) => r.trim() !== '');
  for (const record of records) {
    const [sha = '', subject = '', body = ''] = record.replace(/^\n/, '').split('\x1f');
    const short = sha.slice(0, 12);
    if ([...subject].length > MAX_SUBJECT)
      problems.push({
        sha: short,
        subject,
        problem: `subject is ${[...subject].length} characters (max ${MAX_SUBJECT})`,
      });
    const why = body.split('\n').filter((l) => l.trim() !== '' && !TRAILER.test(l.trim()));
    if (why.length === 0) problems.push({ sha: short, subject, problem: 'no body saying why' });
  }
  return { checked: records.length, problems, ...(note ? { note } : {}) };
}

async function main(): Promise<number> {
  let values: { base?: string; head?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { base: { type: 'string' }, head: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    throw new PcfError('ERR_USAGE', `${(err as Error).message}\n${HELP}`);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const report = checkCommits(process.cwd(), values.base, values.head);
  if (report.note) process.stdout.write(`lint:commits: ${report.note}\n`);
  for (const p of report.problems) process.stdout.write(`${p.sha} ${p.subject}\n    ${p.problem}\n`);
  const bad = new Set(report.problems.map((p) => p.sha)).size;
  process.stdout.write(
    bad === 0
      ? `lint:commits: ${report.checked} commits checked, all conform\n`
      : `lint:commits: ${bad} of ${report.checked} commits do not conform (see CONTRIBUTING.md, "Commits")\n`,
  );
  return bad === 0 ? 0 : 1;
}

if (require.main === module) runMain(main);
