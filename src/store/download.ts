/**
 * Downloads a model into the browser (IndexedDB) chunk by chunk with HTTP range requests. Progress
 * is saved after every chunk, so an interrupted download (closed tab, lost connection, Cancel, a full
 * disk) resumes at the first missing chunk; files whose size changed on the server start over. Tabs
 * downloading the same model take turns (a Web Lock per model): the second finds the copy whole.
 */
import { baseName, ModelSourceError, partUrl } from '../engine/model-files.ts';
import { FormatError } from '../formats/errors.ts';
import { fileLabel, filesFromHfRepo, filesFromUrlBase, readJson, type ModelFiles } from '../formats/model-files.ts';
import { readGguf } from '../formats/gguf.ts';
import { partNamesOf } from '../formats/gguf-split.ts';
import { SIDE_QUANT_FILES } from '../formats/quant/scheme.ts';
import { HttpError, sourceFromUrl, type ByteSource, type UrlSourceOptions } from '../formats/source.ts';
import type { KeyValueStore } from './kv-store.ts';
import { CHUNK_BYTES, chunkCount, chunkKey, chunkSpan, mergeListing, storedBytes, totalBytes, type ModelManifest } from './manifest.ts';
import { deleteChunks, readManifest, writeManifest } from './model-cache.ts';
import { modelKeyOf, type ModelKey } from './model-key.ts';
import { checkQuota, isQuotaError, requestPersistence, StorageFullError, type StorageLike } from './quota.ts';

export interface DownloadProgress {
  phase: 'downloading';
  /** Bytes kept so far, including those of an earlier, interrupted download. */
  loadedBytes: number;
  totalBytes: number;
}

export interface DownloadOptions {
  store: KeyValueStore;
  /** navigator.storage in browsers; null skips the quota check and the persistence request. */
  storage: StorageLike | null;
  /** Resolves relative sources ("/demo-model/"): the page's address. */
  base?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  fetch?: typeof fetch;
  chunkBytes?: number;
  /** Bytes per range request; a chunk is assembled from several, so progress moves smoothly. */
  requestBytes?: number;
  /**
   * navigator.locks in browsers: other tabs downloading the same model wait for this one, then find
   * it kept. Without it (null) two downloads of one model still leave it whole, each claiming only
   * chunks it wrote, but both fetch every byte.
   */
  locks?: Pick<LockManager, 'request'> | null;
}

export interface DownloadResult {
  manifest: ModelManifest;
  /** Whether the browser agreed to keep the copy until the user deletes it. */
  persisted: boolean;
}

const FOLDER_REQUIRED = ['config.json', 'tokenizer.json'];
const FOLDER_OPTIONAL = ['tokenizer_config.json', 'generation_config.json'];
const INDEX = 'model.safetensors.index.json';

export async function downloadModel(source: string, opts: DownloadOptions): Promise<DownloadResult> {
  const id = modelKeyOf(source, opts.base);
  if (!opts.locks) return download(source, id, opts);
  return opts.locks.request(`r1-webgpu download ${id.key}`, { signal: opts.signal }, () => download(source, id, opts));
}

async function download(source: string, id: ModelKey, opts: DownloadOptions): Promise<DownloadResult> {
  const { store } = opts;
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const requestBytes = Math.min(opts.requestBytes ?? 4 * 2 ** 20, chunkBytes);
  const remote = await listRemote(id, { fetch: opts.fetch });
  const previous = await readManifest(store, id.key);
  const { manifest, stale } = mergeListing(
    previous,
    { version: 1, key: id.key, source: previous?.source ?? source.trim(), kind: id.kind, chunkBytes },
    remote.map((r) => ({ path: r.path, sizeBytes: r.src.size })),
    Date.now(),
  );
  const total = totalBytes(manifest);
  let loaded = storedBytes(manifest);
  // A refused write keeps what is stored, as the manifest last counted it, and says why in words.
  const write = async (what: Promise<void>) =>
    what.catch((e: unknown) => {
      throw isQuotaError(e) ? new StorageFullError(storedBytes(manifest), total) : e;
    });
  for (const f of stale) await deleteChunks(store, id.key, f.path);
  await write(writeManifest(store, manifest));

  await checkQuota(total - loaded, opts.storage);
  const persisted = await requestPersistence(opts.storage);
  opts.onProgress?.({ phase: 'downloading', loadedBytes: loaded, totalBytes: total });

  for (const [i, file] of manifest.files.entries()) {
    const src = remote[i].src;
    for (let c = file.storedChunks; c < chunkCount(file.sizeBytes, chunkBytes); c++) {
      const { offset, length } = chunkSpan(file.sizeBytes, chunkBytes, c);
      const parts: Uint8Array<ArrayBuffer>[] = [];
      for (let at = offset; at < offset + length; at += requestBytes) {
        opts.signal?.throwIfAborted();
        const bytes = await src.read(at, Math.min(requestBytes, offset + length - at));
        parts.push(new Uint8Array(bytes));
        loaded += bytes.length;
        opts.onProgress?.({ phase: 'downloading', loadedBytes: loaded, totalBytes: total });
      }
      await write(store.set(chunkKey(id.key, file.path, c), new Blob(parts)));
      file.storedChunks = c + 1;
      manifest.updatedAt = Date.now();
      await write(writeManifest(store, manifest));
    }
  }
  return { manifest, persisted };
}

/**
 * The files to keep: the .gguf (every part of a split one, first part first), or a Hugging Face
 * folder's config, tokenizer and weights.
 */
async function listRemote(id: ModelKey, urlOpts: UrlSourceOptions): Promise<{ path: string; src: ByteSource }[]> {
  if (id.kind === 'gguf') {
    // The file's siblings: beside it on the same host (names decoded from the URL, encoded again for
    // each part), or in the same folder of the repo (names as typed).
    const repo = id.hf ? filesFromHfRepo(id.hf.repo, 'main', undefined, urlOpts) : null;
    const file = id.hf?.file ?? '';
    const dir = file.slice(0, file.lastIndexOf('/') + 1);
    const open = (part: string) => (repo ? repo.open(dir + part) : sourceFromUrl(partUrl(id.url!, part), urlOpts));
    const name = repo ? file.slice(dir.length) : baseName(new URL(id.url!).pathname);
    const src = repo ? await repo.open(file) : await sourceFromUrl(id.url!, urlOpts);
    if (!src) throw new ModelSourceError(`${id.hf!.repo} has no file ${id.hf!.file}`);
    const parts = partNamesOf(await readGguf(src), src, name);
    if (!parts) return [{ path: name, src }];
    const out: { path: string; src: ByteSource }[] = [];
    for (const part of parts) {
      const partSrc = part === name ? src : await open(part).catch((e: unknown) => {
        if (e instanceof HttpError && e.status === 404) return null;
        throw e;
      });
      if (!partSrc) throw new ModelSourceError(`${name} is part of a split GGUF model whose part ${part} is not beside it`);
      out.push({ path: part, src: partSrc });
    }
    return out;
  }
  const files: ModelFiles = id.url ? filesFromUrlBase(id.url, urlOpts) : filesFromHfRepo(id.hf!.repo, 'main', undefined, urlOpts);
  const out: { path: string; src: ByteSource }[] = [];
  const add = async (path: string, required: boolean) => {
    const src = await files.open(path);
    if (src) out.push({ path, src });
    else if (required) throw new ModelSourceError(missing(files.name, path));
  };
  for (const p of FOLDER_REQUIRED) await add(p, true);
  for (const p of FOLDER_OPTIONAL) await add(p, false);
  // Older GPTQ / AWQ folders keep their settings beside config.json. Most folders have no such file,
  // and some hosts answer 403 rather than 404 for a missing one: any failure but an abort means "not there".
  for (const p of Object.keys(SIDE_QUANT_FILES)) {
    const src = await files.open(p).catch((e: unknown) => {
      if ((e as Error).name === 'AbortError') throw e;
      return null;
    });
    if (src) out.push({ path: p, src });
  }
  const index = await readJson(files, INDEX);
  if (!index) {
    await add('model.safetensors', true);
    return out;
  }
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new FormatError(fileLabel(files, INDEX), 'has no "weight_map" object');
  await add(INDEX, true);
  const shards = [...new Set(Object.values(map))];
  for (const shard of shards) {
    // Names come from the file: keep them inside the folder.
    if (typeof shard !== 'string' || shard.startsWith('/') || shard.split(/[/\\]/).includes('..')) {
      throw new FormatError(fileLabel(files, INDEX), `lists ${JSON.stringify(shard)}, which is not a file in the model folder`);
    }
    await add(shard, true);
  }
  return out;
}

function missing(folder: string, path: string): string {
  const hint = path === 'config.json' ? ' (for a repo of .gguf files, name the file: owner/name/file.gguf)' : '';
  return `${folder} has no ${path}: is it a Hugging Face model folder?${hint}`;
}
