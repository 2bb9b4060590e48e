/**
 * The few key-value operations the model cache and the chat history need, so that tests can run
 * them on a Map and the browser on IndexedDB (idb-keyval, one object store each).
 */
import { createStore, del, get, keys, set } from 'idb-keyval';
import type { StoreKey } from './manifest.ts';

export interface KeyValueStore<K extends IDBValidKey = StoreKey> {
  get(key: K): Promise<unknown>;
  set(key: K, value: unknown): Promise<void>;
  del(key: K): Promise<void>;
  keys(): Promise<K[]>;
}

export function idbKeyValueStore<K extends IDBValidKey = StoreKey>(dbName = 'r1-webgpu-models', storeName = 'files'): KeyValueStore<K> {
  const store = createStore(dbName, storeName);
  return {
    get: (k) => get(k, store),
    set: (k, v) => set(k, v, store),
    del: (k) => del(k, store),
    keys: () => keys<K>(store),
  };
}
