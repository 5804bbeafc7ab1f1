/**
 * Folder conventions every workspace follows (as Telegraf's plugin folders do): a README, and — for a workspace
 * read from a configuration file, i.e. one with a `config.schema.json` — a sample configuration named
 * `config.sample.yaml` that the schema accepts. Greengrass components (`components/*`) are always configured.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isPcfError, readDataFile, validateConfig } from '@pcf-edge/core';

export const SAMPLE_CONFIG = 'config.sample.yaml';
const CONFIG_SCHEMA = 'config.schema.json';
/** Names a sample must not have: one name, so a reader and this check find it. */
const OTHER_SAMPLE = /^config\.(sample|example)\.(json|ya?ml)$|^config\.example\./;

/** Workspace folders (relative to `root`) named by the root package.json's `workspaces` (`dir/*` or `dir`). */
export function workspaceFolders(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const out: string[] = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      if (!existsSync(join(root, parent))) continue;
      for (const name of readdirSync(join(root, parent)).sort()) {
        const dir = `${parent}/${name}`;
        if (statSync(join(root, dir)).isDirectory() && existsSync(join(root, dir, 'package.json'))) out.push(dir);
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) {
      out.push(pattern);
    }
  }
  return out;
}

function sampleProblems(root: string, dir: string): string[] {
  const schemaFile = join(root, dir, CONFIG_SCHEMA);
  const sampleFile = join(root, dir, SAMPLE_CONFIG);
  const problems = readdirSync(join(root, dir))
    .filter((f) => f !== SAMPLE_CONFIG && OTHER_SAMPLE.test(f))
    .map((f) => `${dir}: sample configuration ${f} must be named ${SAMPLE_CONFIG}`);
  if (!existsSync(schemaFile)) {
    if (dir.startsWith('components/')) problems.push(`${dir}: a component needs ${CONFIG_SCHEMA}`);
    return problems;
  }
  if (!existsSync(sampleFile)) return [...problems, `${dir}: ${CONFIG_SCHEMA} but no ${SAMPLE_CONFIG}`];
  try {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as object;
    validateConfig(readDataFile(sampleFile), schema, `${dir}/${SAMPLE_CONFIG}`);
  } catch (err) {
    if (!isPcfError(err)) throw err;
    problems.push(`${dir}: ${SAMPLE_CONFIG} is not valid: ${err.message}`);
  }
  return problems;
}

/** Every way a workspace under `root` breaks the folder conventions; empty when none does. */
export function conventionProblems(root: string): string[] {
  const problems: string[] = [];
  for (const dir of workspaceFolders(root)) {
    const readme = join(root, dir, 'README.md');
    if (!existsSync(readme)) problems.push(`${dir}: no README.md`);
    else if (!/^# \S/m.test(readFileSync(readme, 'utf8'))) problems.push(`${dir}: README.md has no title`);
    problems.push(...sampleProblems(root, dir));
  }
  return problems;
}
