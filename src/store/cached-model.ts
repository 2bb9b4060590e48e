/**
 * A kept model handed to the engine. IndexedDB stores each chunk as a Blob on disk; a File made of
 * those Blobs reads them lazily, so a multi-gigabyte model is never held in memory, and Files can
 * be posted to the engine's Web Worker (a folder object with an open() function cannot).
 */
import type { GgufInput } from '../engine/model-files.ts';
import type { ModelFiles } from '../formats/model-files.ts';
import { sourceFromBlob } from '../formats/source.ts';
import type { KeyValueStore } from './kv-store.ts';
import { chunkCount, chunkKey, chunkSpan, isComplete, type CachedFile, type ModelManifest } from './manifest.ts';
import { readManifest } from './model-cache.ts';

/** A kept model is missing, partly downloaded, or lost some of its bytes. */
export class CacheIncompleteError extends Error {
  override name = 'CacheIncompleteError';
}

/**
 * For worker engines: the .gguf File (the parts of a split one, first part first), or the folder's
 * Files named by their relative paths.
 */
export async function cachedModelFiles(store: KeyValueStore, modelKey: string): Promise<File | File[]> {
  const m = await wholeManifest(store, modelKey);
  const files = await Promise.all(m.files.map(async (f) => new File(await fileChunks(store, m, f), f.path)));
  return m.kind === 'gguf' && files.length === 1 ? files[0] : files;
}

/** For engines in the page's own thread: a ByteSource (.gguf, and its other parts) or a folder of ByteSources. */
export async function openCachedModel(store: KeyValueStore, modelKey: string): Promise<GgufInput | { folder: ModelFiles }> {
  const m = await wholeManifest(store, modelKey);
  const open = async (f: CachedFile) => sourceFromBlob(new Blob(await fileChunks(store, m, f)), `${m.source} (kept copy)/${f.path}`);
  const folder: ModelFiles = {
    name: `${m.source} (kept copy)`,
    async open(relPath) {
      const f = m.files.find((x) => x.path === relPath);
      return f ? open(f) : null;
    },
  };
  if (m.kind === 'gguf') return { gguf: await open(m.files[0]), fileName: m.files[0].path, openPart: folder.open };
  return { folder };
}

async function wholeManifest(store: KeyValueStore, modelKey: string): Promise<ModelManifest> {
  const m = await readManifest(store, modelKey);
  if (!m) throw new CacheIncompleteError(`${modelKey} is not kept in this browser (it was deleted, or the browser cleared its storage): load it from its source again`);
  if (!isComplete(m)) throw new CacheIncompleteError(`${m.source} is only partly downloaded: load it again to resume the download`);
  return m;
}

/** The file's chunks, each checked to be there with exactly its expected length. */
async function fileChunks(store: KeyValueStore, m: ModelManifest, f: CachedFile): Promise<Blob[]> {
  const n = chunkCount(f.sizeBytes, m.chunkBytes);
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const blob = await store.get(chunkKey(m.key, f.path, i));
      const want = chunkSpan(f.sizeBytes, m.chunkBytes, i).length;
      if (!(blob instanceof Blob) || blob.size !== want) {
        throw new CacheIncompleteError(`${m.source}: the kept copy of ${f.path} lost part ${i + 1} of ${n} (the browser may have evicted it): delete it and load the model again`);
      }
      return blob;
    }),
  );
}
