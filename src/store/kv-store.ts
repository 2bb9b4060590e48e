/**
 * The few key-value operations the model cache needs, so that tests can run it on a Map and the
 * browser on IndexedDB (idb-keyval, one object store of its own).
 */
import { createStore, del, get, keys, set } from 'idb-keyval';
import type { StoreKey } from './manifest.ts';

export interface KeyValueStore {
  get(key: StoreKey): Promise<unknown>;
  set(key: StoreKey, value: unknown): Promise<void>;
  del(key: StoreKey): Promise<void>;
  keys(): Promise<StoreKey[]>;
}

export function idbKeyValueStore(dbName = 'r1-webgpu-models', storeName = 'files'): KeyValueStore {
  const store = createStore(dbName, storeName);
  return {
    get: (k) => get(k, store),
    set: (k, v) => set(k, v, store),
    del: (k) => del(k, store),
    keys: () => keys<StoreKey>(store),
  };
}
