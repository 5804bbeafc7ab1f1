/** `npm run lint:commits` on temporary git repositories: real git, real commits, the script as CI runs it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isPcfError } from '@pcf-edge/core';
import { checkCommits, FORMAT_COMMIT } from './check-commits';

const ROOT = resolve(__dirname, '..');
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.org',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.org',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

let n = 0;
/** Commits a change with `message` (subject, blank line, body as given) and returns its sha. */
function commit(repo: string, message: string): string {
  const file = `file-${++n}.txt`; // one file per commit: branches merge without conflicts
  writeFileSync(join(repo, file), `change ${n}\n`);
  git(repo, 'add', file);
  git(repo, 'commit', '-q', '--cleanup=verbatim', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

function lintCommits(cwd: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(ROOT, 'scripts/check-commits.ts'), ...args], {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

const GOOD = 'Add the thing\n\nThe thing was missing, so the other thing failed.\n';
const LONG = `${'Make a subject that goes on and on '.repeat(3).trim()}\n\nWhy it matters.\n`;

describe('lint:commits', () => {
  let dir: string;
  let repo: string;
  let base: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pcf-lint-commits-'));
    repo = join(dir, 'repo');
    git(dir, 'init', '-q', '-b', 'main', repo);
    commit(repo, 'an old subject without a body, from before the rules'); // history before the base is not checked
    base = commit(repo, 'Format the tree\n\nLayout only.\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes commits with a short subject and a body; merge commits are exempt', () => {
    commit(repo, GOOD);
    git(repo, 'checkout', '-q', '-b', 'side');
    commit(repo, 'Fix the side\n\nIt was broken because of the main thing.\n');
    git(repo, 'checkout', '-q', 'main');
    commit(repo, 'Change main too\n\nSo the merge below is a real one.\n');
    git(repo, 'merge', '-q', '--no-ff', '-m', 'Merge branch side', 'side');
    expect(checkCommits(repo, base)).toEqual({ checked: 3, problems: [] });
    const r = lintCommits(repo, '--base', base);
    expect(r.code).toBe(0);
    expect(r.out).toContain('3 commits checked, all conform');
  });

  it('fails on a subject over 72 characters, on no body, and on a body of trailers only', () => {
    commit(repo, GOOD);
    const long = commit(repo, LONG);
    const bare = commit(repo, 'Add something without saying why');
    const trailer = commit(repo, 'Add a signed change\n\nSigned-off-by: Test <test@example.org>\n');
    const exactly72 = commit(repo, `${'x'.repeat(72)}\n\nSeventy-two characters are allowed.\n`);
    const report = checkCommits(repo, base);
    expect(report.checked).toBe(5);
    expect(report.problems).toEqual([
      { sha: trailer.slice(0, 12), subject: 'Add a signed change', problem: 'no body saying why' },
      { sha: bare.slice(0, 12), subject: 'Add something without saying why', problem: 'no body saying why' },
      { sha: long.slice(0, 12), subject: LONG.split('\n')[0], problem: 'subject is 104 characters (max 72)' },
    ]);
    expect(report.problems.map((p) => p.sha)).not.toContain(exactly72.slice(0, 12));
    const r = lintCommits(repo, '--base', base);
    expect(r.code).toBe(1);
    expect(r.out).toContain('3 of 5 commits do not conform');
    expect(r.out).toContain(`${bare.slice(0, 12)} Add something without saying why\n    no body saying why`);
  });

  it('counts a subject that runs over two lines (no blank line) as one long subject', () => {
    commit(repo, 'A subject that wraps onto\na second line without a blank line between them\n\nBody.\n');
    expect(checkCommits(repo, base).problems.map((p) => p.problem)).toEqual(['subject is 73 characters (max 72)']);
  });

  it('refuses a base that is not in the history, or not an ancestor, with exit code 2', () => {
    commit(repo, GOOD);
    expect(() => checkCommits(repo, FORMAT_COMMIT)).toThrow(/is not a commit in this repository's history/);
    git(repo, 'checkout', '-q', '--orphan', 'other');
    const unrelated = commit(repo, GOOD);
    git(repo, 'checkout', '-q', 'main');
    try {
      checkCommits(repo, unrelated);
      throw new Error('no error');
    } catch (err) {
      expect(isPcfError(err, 'ERR_USAGE')).toBe(true);
      expect((err as Error).message).toMatch(/is not an ancestor of HEAD/);
    }
    const r = lintCommits(repo);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`ERR_USAGE: base ${FORMAT_COMMIT} is not a commit`);
  });

  it('in a shallow clone without the base, checks every commit the clone holds', () => {
    commit(repo, GOOD);
    commit(repo, 'Add something without saying why');
    const clone = join(dir, 'clone');
    git(dir, 'clone', '-q', '--depth', '2', `file://${repo}`, clone);
    const report = checkCommits(clone, base);
    expect(report.note).toMatch(/not in this shallow clone/);
    expect(report.checked).toBe(2);
    expect(report.problems.map((p) => p.problem)).toEqual(['no body saying why']);
  });

  it('answers --help', () => {
    const r = lintCommits(repo, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: npm run lint:commits');
  });
});
