import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteRepository } from '../src/store/sqlite';
import { repositoryContract } from './repository-contract';

repositoryContract({
  name: 'SQLite',
  open: () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloud-sink-contract-'));
    const repo = openSqliteRepository({ file: join(dir, 'db.sqlite') });
    return Promise.resolve({ repo, dispose: async () => { await repo.close(); rmSync(dir, { recursive: true, force: true }); } });
  },
});
