/** The models kept in the browser: their manifests, listing and deleting. */
import type { KeyValueStore } from './kv-store.ts';
import { isComplete, manifestKey, storedBytes, totalBytes, type ModelManifest } from './manifest.ts';

export interface CachedModelSummary {
  key: string;
  source: string;
  kind: ModelManifest['kind'];
  totalBytes: number;
  storedBytes: number;
  complete: boolean;
  updatedAt: number;
}

export async function readManifest(store: KeyValueStore, modelKey: string): Promise<ModelManifest | null> {
  const m = (await store.get(manifestKey(modelKey))) as ModelManifest | undefined;
  return m?.version === 1 ? m : null;
}

export async function writeManifest(store: KeyValueStore, m: ModelManifest): Promise<void> {
  await store.set(manifestKey(m.key), m);
}

/** Newest first. */
export async function listCachedModels(store: KeyValueStore): Promise<CachedModelSummary[]> {
  const keys = (await store.keys()).filter((k) => k[0] === 'manifest');
  const manifests = await Promise.all(keys.map((k) => readManifest(store, k[1])));
  return manifests
    .filter((m): m is ModelManifest => m !== null)
    .map((m) => ({ key: m.key, source: m.source, kind: m.kind, totalBytes: totalBytes(m), storedBytes: storedBytes(m), complete: isComplete(m), updatedAt: m.updatedAt }))
    .sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Deletes the chunks of one file of a model, or of all its files when `path` is omitted. */
export async function deleteChunks(store: KeyValueStore, modelKey: string, path?: string): Promise<void> {
  const keys = (await store.keys()).filter((k) => k[0] === 'chunk' && k[1] === modelKey && (path === undefined || k[2] === path));
  await Promise.all(keys.map((k) => store.del(k)));
}

export async function deleteCachedModel(store: KeyValueStore, modelKey: string): Promise<void> {
  // The manifest goes first: an interrupted delete leaves orphan chunks, never a manifest that lies.
  await store.del(manifestKey(modelKey));
  await deleteChunks(store, modelKey);
}
