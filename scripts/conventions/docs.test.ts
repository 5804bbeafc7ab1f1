import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { brokenLinks, linkTargets, unindexedPages } from './docs';

const ROOT = resolve(__dirname, '../..');

describe('documentation conventions', () => {
  it('every relative link in a Markdown file resolves inside the repository', () => {
    expect(brokenLinks(ROOT)).toEqual([]);
  });

  it('the ADR, measurement and method indexes list every page', () => {
    expect([
      ...unindexedPages(ROOT, 'docs/adr'),
      ...unindexedPages(ROOT, 'docs/perf'),
      ...unindexedPages(ROOT, 'docs/method'),
    ]).toEqual([]);
  });

  describe('the checks can fail', () => {
    let root: string;
    const write = (file: string, text: string): void => {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), text);
    };
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'pcf-doc-links-'));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('names a missing target and a link that leaves the repository, not URLs, anchors or code', () => {
      write('docs/a.md', '# a\n[b](b.md#part) [web](https://example.org) [top](#a) `[x](gone.md)`\n');
      write('docs/b.md', '[missing](../nowhere.md) [handout](../../beside/handout.md)\n```\n[y](gone.md)\n```\n');
      expect(brokenLinks(root)).toEqual([
        'docs/b.md: link ../nowhere.md does not resolve (nowhere.md)',
        'docs/b.md: link ../../beside/handout.md leaves the repository',
      ]);
    });

    it('names a page its index does not list', () => {
      write('docs/adr/README.md', '[0001](0001-a.md)\n');
      write('docs/adr/0001-a.md', '# 0001\n');
      write('docs/adr/0002-b.md', '# 0002\n');
      expect(unindexedPages(root, 'docs/adr')).toEqual(['docs/adr/README.md does not list 0002-b.md']);
    });

    it('reads link targets with titles', () => {
      expect(linkTargets('[a](x.md "title") and [b](y.md)')).toEqual(['x.md', 'y.md']);
    });
  });
});
