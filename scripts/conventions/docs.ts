/**
 * Documentation conventions: every relative link in a Markdown file resolves to a file or folder inside the
 * repository (a clone must be able to follow it), and the ADR and measurement indexes list every page.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SKIP_DIRS = new Set(['node_modules', '.git', 'greengrass-build', '.pcf-edge', 'coverage', 'bench-results']);

/** Markdown files under `root` (relative paths), outside build and dependency folders. */
export function markdownFiles(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = dir === '' ? name : `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...markdownFiles(root, rel));
    } else if (name.endsWith('.md')) out.push(rel);
  }
  return out;
}

/** Link targets of `[text](target)` outside code spans and fenced blocks. */
export function linkTargets(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** Every relative link that does not resolve to an existing path inside `root`. */
export function brokenLinks(root: string): string[] {
  const problems: string[] = [];
  const top = resolve(root);
  for (const file of markdownFiles(root)) {
    for (const target of linkTargets(readFileSync(join(root, file), 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
      const path = decodeURIComponent(target.split('#')[0]!);
      const abs = resolve(top, dirname(file), path);
      const inside = abs === top || abs.startsWith(top + sep);
      if (!inside) problems.push(`${file}: link ${target} leaves the repository`);
      else if (!existsSync(abs)) problems.push(`${file}: link ${target} does not resolve (${relative(top, abs)})`);
    }
  }
  return problems;
}

/** Pages of `dir` (`*.md` other than README.md) that its README.md does not link to. */
export function unindexedPages(root: string, dir: string): string[] {
  const readme = join(root, dir, 'README.md');
  const linked = new Set(
    existsSync(readme) ? linkTargets(readFileSync(readme, 'utf8')).map((t) => t.split('#')[0]) : [],
  );
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.md') && f !== 'README.md' && !linked.has(f))
    .sort()
    .map((f) => `${dir}/README.md does not list ${f}`);
}
