import { PcfError, isPcfError } from '@pcf-edge/core';

/** SQLite result codes (better-sqlite3 `SqliteError.code`) that mean "no space": disk full or max_page_count reached. */
function isFullCode(code: string): boolean {
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_FULL_') || code === 'SQLITE_IOERR_WRITE_ENOSPC';
}

function sqliteCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

/**
 * Maps any error thrown while operating on the store to a PcfError:
 * disk full → ERR_STORE_FULL, any other SQLite/IO failure → ERR_STORE; the original error is kept as `cause`
 * and its SQLite code in `details.sqliteCode`. PcfErrors pass through unchanged.
 */
export function toStoreError(err: unknown, op: string, path: string): PcfError {
  if (isPcfError(err)) return err;
  const code = sqliteCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const details = { op, path, sqliteCode: code ?? null };
  if (code !== undefined && isFullCode(code)) {
    return new PcfError('ERR_STORE_FULL', `gateway store ${path} is full during ${op}: ${message}`, details, {
      cause: err,
    });
  }
  return new PcfError('ERR_STORE', `gateway store ${path} failed during ${op}: ${message}`, details, { cause: err });
}
