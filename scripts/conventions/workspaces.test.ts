import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { conventionProblems, workspaceFolders } from './workspaces';

const ROOT = resolve(__dirname, '../..');

describe('workspace folder conventions', () => {
  it('every workspace has a README; every configured one a config.sample.yaml its schema accepts', () => {
    expect(workspaceFolders(ROOT)).toEqual(
      expect.arrayContaining(['shared/core', 'components/line-aggregator', 'tools/pcf-edge-cli', 'cloud-sink']),
    );
    expect(conventionProblems(ROOT)).toEqual([]);
  });

  describe('the check can fail', () => {
    let root: string;
    const write = (file: string, text: string): void => {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), text);
    };
    const schema = readFileSync(join(ROOT, 'components/line-aggregator/config.schema.json'), 'utf8');

    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'pcf-conventions-'));
      write('package.json', JSON.stringify({ workspaces: ['shared/*', 'components/*', 'cloud-sink'] }));
      write('shared/lib/package.json', '{}');
      write('components/agg/package.json', '{}');
      write('components/agg/README.md', '# agg\n');
      write('components/agg/config.schema.json', schema);
      write(
        'components/agg/config.sample.yaml',
        readFileSync(join(ROOT, 'components/line-aggregator/config.sample.yaml'), 'utf8'),
      );
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('names a workspace without a README', () => {
      expect(conventionProblems(root)).toEqual(['shared/lib: no README.md']);
    });

    it('names a configured workspace without its sample, or with a sample under another name', () => {
      write('shared/lib/README.md', '# lib\n');
      rmSync(join(root, 'components/agg/config.sample.yaml'));
      write('components/agg/config.example.json', '{}');
      expect(conventionProblems(root)).toEqual([
        'components/agg: sample configuration config.example.json must be named config.sample.yaml',
        'components/agg: config.schema.json but no config.sample.yaml',
      ]);
    });

    it('names a sample the schema refuses, and a component without a schema', () => {
      write('shared/lib/README.md', '# lib\n');
      write('components/agg/config.sample.yaml', 'site: plant-1\nwindow: 1m\n');
      write('components/bare/package.json', '{}');
      write('components/bare/README.md', '# bare\n');
      const problems = conventionProblems(root);
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^components\/agg: config.sample.yaml is not valid: .*unknown property 'window'/s);
      expect(problems[1]).toBe('components/bare: a component needs config.schema.json');
    });
  });
});
