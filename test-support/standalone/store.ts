import { existsSync } from 'node:fs';
import { isPcfError, type Reading } from '@pcf-edge/core';
import { openStore } from '@pcf-edge/store';

/** Readings in a gateway store another process writes; [] while it does not exist or is not yet migrated. */
export function readingsIn(storeFile: string): (Reading & { seq: number })[] {
  if (!existsSync(storeFile)) return [];
  let store;
  try {
    store = openStore(storeFile, { readonly: true });
  } catch (err) {
    if (isPcfError(err, 'ERR_STORE')) return [];
    throw err;
  }
  try {
    return store.readingsAfter(0, 1_000_000);
  } finally {
    store.close();
  }
}
