import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteRepository } from '../src/store/sqlite';
import { repositoryContract } from './repository-contract';
import { openPgInFreshSchema, PG_URL, pgSkipNotice } from './pg-support';

repositoryContract({
  name: 'SQLite',
  open: () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloud-sink-contract-'));
    const repo = openSqliteRepository({ file: join(dir, 'db.sqlite') });
    return Promise.resolve({
      repo,
      dispose: async () => {
        await repo.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
});

if (PG_URL !== undefined) {
  const url = PG_URL;
  repositoryContract({ name: 'PostgreSQL', open: () => openPgInFreshSchema(url) });
} else {
  pgSkipNotice('repository contract');
  it.skip('PostgreSQL repository contract (PCF_EDGE_TEST_DATABASE_URL unset)', () => undefined);
}
