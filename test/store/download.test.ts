/** Model downloads into the browser store: chunking, resuming, wholeness, quota, listing, deleting. */
import { describe, expect, test } from 'vitest';
import { cachedModelFiles, CacheIncompleteError, openCachedModel } from '../../src/store/cached-model.ts';
import { downloadModel, type DownloadOptions } from '../../src/store/download.ts';
import { chunkKey } from '../../src/store/manifest.ts';
import { deleteCachedModel, listCachedModels, readManifest } from '../../src/store/model-cache.ts';
import { StorageQuotaError } from '../../src/store/quota.ts';
import { fakeHost, memoryStore, patterned } from './memory-store.ts';
import { ggufPartNames } from '../../src/formats/gguf-split.ts';
import { writeGguf, writeSplitGguf, type GgufWriteTensor } from '../../src/formats/gguf-writer.ts';

const BASE = 'https://models.example/demo/';
const CONFIG = '{"model_type":"qwen2"}';
const TOKENIZER = '{"model":{}}';

function folderHost(weights: Uint8Array) {
  return fakeHost({
    [`${BASE}config.json`]: CONFIG,
    [`${BASE}tokenizer.json`]: TOKENIZER,
    [`${BASE}generation_config.json`]: '{"temperature":0.6}',
    [`${BASE}model.safetensors`]: weights,
  });
}

const opts = (host: ReturnType<typeof fakeHost>, extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  store: memoryStore(),
  storage: null,
  fetch: host.fetch,
  chunkBytes: 1000,
  requestBytes: 400,
  ...extra,
});

/** A valid GGUF (a header, no tensors) of a little more than `bytes` bytes: downloads read the header first. */
function tinyGguf(bytes: number): Uint8Array {
  return writeGguf([['general.name', { type: 'string', value: 'x'.repeat(bytes) }]], []);
}

const SPLIT_TENSORS: GgufWriteTensor[] = [0, 1, 2].map((i) => ({ name: `t${i}`, dtype: 'f32', shape: [300], data: patterned(1200, i) }));

async function bytesOf(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

describe('downloadModel', () => {
  test('keeps a folder in chunks and hands it back whole, as Files and as ByteSources', async () => {
    const weights = patterned(4321);
    const host = folderHost(weights);
    const o = opts(host);
    const progress: number[] = [];
    const { manifest } = await downloadModel(BASE, { ...o, onProgress: (p) => progress.push(p.loadedBytes) });
    expect(manifest.files.map((f) => f.path)).toEqual(['config.json', 'tokenizer.json', 'generation_config.json', 'model.safetensors']);
    expect(manifest.files.at(-1)).toEqual({ path: 'model.safetensors', sizeBytes: 4321, storedChunks: 5 });
    expect(await o.store.get(chunkKey(BASE, 'model.safetensors', 4))).toBeInstanceOf(Blob);
    const total = 4321 + CONFIG.length + TOKENIZER.length + 19;
    expect(progress.at(-1)).toBe(total);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // 4321 bytes in 1000-byte chunks read 400 bytes at a time: 3 requests per full chunk, 1 for the last.
    expect(host.requests.filter((r) => r.url.endsWith('.safetensors') && r.range !== 'bytes=0-0')).toHaveLength(13);

    const files = (await cachedModelFiles(o.store, BASE)) as File[];
    expect(files.map((f) => f.name)).toContain('model.safetensors');
    expect(await bytesOf(files.find((f) => f.name === 'model.safetensors')!)).toEqual(weights);
    expect(await files.find((f) => f.name === 'config.json')!.text()).toBe(CONFIG);

    const opened = await openCachedModel(o.store, BASE);
    if (!('folder' in opened)) throw new Error('expected a folder');
    const src = (await opened.folder.open('model.safetensors'))!;
    expect(src.size).toBe(4321);
    // A read across three chunk boundaries.
    expect(await src.read(990, 2100)).toEqual(weights.subarray(990, 3090));
    expect(await opened.folder.open('tokenizer_config.json')).toBeNull();
  });

  test('an interrupted download resumes at the first missing chunk', async () => {
    const weights = patterned(5000, 3);
    const host = folderHost(weights);
    const o = opts(host);
    const abort = new AbortController();
    let seen = 0;
    const partial = downloadModel(BASE, {
      ...o,
      onProgress: (p) => {
        if (p.loadedBytes > 2500 && ++seen === 1) abort.abort();
      },
      signal: abort.signal,
    });
    await expect(partial).rejects.toMatchObject({ name: 'AbortError' });
    const [listed] = await listCachedModels(o.store);
    expect(listed).toMatchObject({ key: BASE, complete: false });
    expect(listed.storedBytes).toBeGreaterThan(0);
    await expect(cachedModelFiles(o.store, BASE)).rejects.toThrow(/partly downloaded: load it again to resume/);

    const stored = (await readManifest(o.store, BASE))!.files.at(-1)!.storedChunks;
    expect(stored).toBeGreaterThan(0);
    host.requests.length = 0;
    await downloadModel(BASE, o);
    const ranges = host.requests.filter((r) => r.url.endsWith('.safetensors') && r.range !== 'bytes=0-0').map((r) => Number(r.range!.match(/\d+/)![0]));
    expect(Math.min(...ranges)).toBe(stored * 1000);
    expect(await bytesOf((await cachedModelFiles(o.store, BASE) as File[]).at(-1)!)).toEqual(weights);
    expect((await listCachedModels(o.store))[0]).toMatchObject({ complete: true, storedBytes: listed.totalBytes });
  });

  test('a file whose size changed on the server starts over; its old chunks go', async () => {
    const host = folderHost(patterned(3000));
    const o = opts(host);
    await downloadModel(BASE, o);
    host.files[`${BASE}model.safetensors`] = patterned(1500, 9);
    await downloadModel(BASE, o);
    expect(await o.store.get(chunkKey(BASE, 'model.safetensors', 2))).toBeUndefined();
    const files = (await cachedModelFiles(o.store, BASE)) as File[];
    expect(await bytesOf(files.at(-1)!)).toEqual(patterned(1500, 9));
  });

  test('sharded safetensors: the index and every shard it lists', async () => {
    const index = JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } });
    const host = fakeHost({
      [`${BASE}config.json`]: CONFIG,
      [`${BASE}tokenizer.json`]: TOKENIZER,
      [`${BASE}model.safetensors.index.json`]: index,
      [`${BASE}model-00001-of-00002.safetensors`]: patterned(1200, 1),
      [`${BASE}model-00002-of-00002.safetensors`]: patterned(800, 2),
    });
    const { manifest } = await downloadModel(BASE, opts(host));
    expect(manifest.files.map((f) => f.path)).toEqual([
      'config.json',
      'tokenizer.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
  });

  test('a shard name that leaves the folder is refused', async () => {
    const host = fakeHost({
      [`${BASE}config.json`]: CONFIG,
      [`${BASE}tokenizer.json`]: TOKENIZER,
      [`${BASE}model.safetensors.index.json`]: JSON.stringify({ weight_map: { a: '../secret' } }),
    });
    await expect(downloadModel(BASE, opts(host))).rejects.toThrow(/not a file in the model folder/);
  });

  test('a .gguf URL is one file, handed back as one File', async () => {
    const url = 'https://models.example/files/tiny.Q8_0.gguf';
    const gguf = tinyGguf(2400);
    const host = fakeHost({ [url]: gguf });
    const o = opts(host);
    const { manifest } = await downloadModel(url, o);
    expect(manifest).toMatchObject({ kind: 'gguf', files: [{ path: 'tiny.Q8_0.gguf', sizeBytes: gguf.length, storedChunks: 3 }] });
    const file = await cachedModelFiles(o.store, url);
    expect(file).toBeInstanceOf(File);
    expect(await bytesOf(file as File)).toEqual(gguf);
    const opened = await openCachedModel(o.store, url);
    expect('gguf' in opened && (await opened.gguf.read(999, 3))).toEqual(gguf.subarray(999, 1002));
  });

  test('a split .gguf: every part is kept, first part first, whichever part was named', async () => {
    const names = ggufPartNames('big-Q8_0-00001-of-00003.gguf', 3)!;
    const parts = writeSplitGguf([['general.name', { type: 'string', value: 'big' }]], SPLIT_TENSORS, 3);
    const host = fakeHost(Object.fromEntries(names.map((n, i) => [`https://models.example/files/${n}`, parts[i]])));
    const o = opts(host);
    const { manifest } = await downloadModel(`https://models.example/files/${names[1]}`, o);
    expect(manifest.files.map((f) => [f.path, f.sizeBytes])).toEqual(names.map((n, i) => [n, parts[i].length]));
    const files = (await cachedModelFiles(o.store, manifest.key)) as File[];
    expect(files.map((f) => f.name)).toEqual(names);
    expect(await bytesOf(files[2])).toEqual(parts[2]);
    const opened = await openCachedModel(o.store, manifest.key);
    if (!('gguf' in opened)) throw new Error('expected a gguf');
    expect(opened.fileName).toBe(names[0]);
    expect(await (await opened.openPart!(names[2]))!.read(0, parts[2].length)).toEqual(parts[2]);

    // A repo path: the parts from the same folder of the repo; one missing is named.
    const hf = 'https://huggingface.co/org/big-GGUF/resolve/main/Q8_0/';
    const hfHost = fakeHost({ [`${hf}${names[0]}`]: parts[0], [`${hf}${names[1]}`]: parts[1] });
    await expect(downloadModel(`org/big-GGUF/Q8_0/${names[0]}`, opts(hfHost))).rejects.toThrow(/part big-Q8_0-00003-of-00003\.gguf is not beside it/);
  });

  test('split parts keep the named URL\'s query; repo paths are used as typed, percent-escapes and all', async () => {
    const parts = writeSplitGguf([['general.name', { type: 'string', value: 'big' }]], SPLIT_TENSORS, 2);
    const at = (name: string) => `https://models.example/files/${name}?download=true`;
    const host = fakeHost({ [at('a%20b-00001-of-00002.gguf')]: parts[0], [at('a%20b-00002-of-00002.gguf')]: parts[1] });
    const { manifest } = await downloadModel(at('a%20b-00001-of-00002.gguf'), opts(host));
    expect(manifest.files.map((f) => f.path)).toEqual(['a b-00001-of-00002.gguf', 'a b-00002-of-00002.gguf']);

    const hf = 'https://huggingface.co/org/big-GGUF/resolve/main/';
    const names = ['x%2B100%25-00001-of-00002.gguf', 'x%2B100%25-00002-of-00002.gguf'];
    const hfHost = fakeHost({ [hf + names[0]]: parts[0], [hf + names[1]]: parts[1] });
    const kept = await downloadModel(`org/big-GGUF/${names[1]}`, opts(hfHost));
    expect(kept.manifest.files.map((f) => f.path)).toEqual(names);
  });

  test('a .gguf URL that serves something else is refused before anything is kept', async () => {
    const url = 'https://models.example/files/login.gguf';
    const host = fakeHost({ [url]: '<!DOCTYPE html><html><body>Sign in</body></html>'.padEnd(3000, ' ') });
    const o = opts(host);
    await expect(downloadModel(url, o)).rejects.toThrow(/not a GGUF file|HTML/i);
    expect(await listCachedModels(o.store)).toEqual([]);
  });

  test('a Hugging Face repo id downloads from its resolve URLs', async () => {
    const hf = 'https://huggingface.co/org/tiny/resolve/main/';
    const host = fakeHost({ [`${hf}config.json`]: CONFIG, [`${hf}tokenizer.json`]: TOKENIZER, [`${hf}model.safetensors`]: patterned(10) });
    const o = opts(host);
    const { manifest } = await downloadModel('org/tiny', o);
    expect(manifest.key).toBe('hf:org/tiny');
    expect(manifest.files).toHaveLength(3);
  });

  test('a GGUF-only repo named without its file says how to name it', async () => {
    const host = fakeHost({});
    await expect(downloadModel('org/tiny-GGUF', opts(host))).rejects.toThrow(/has no config.json.*owner\/name\/file\.gguf/);
  });

  test('too little room: a clear StorageQuotaError before any weight is fetched', async () => {
    const host = folderHost(patterned(4000));
    const storage = { estimate: async () => ({ quota: 10_000, usage: 8_000 }), persist: async () => true };
    const err = await downloadModel(BASE, opts(host, { storage })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageQuotaError);
    expect((err as Error).message).toMatch(/needs .* more, but this browser lets the page store only .* more\. Delete models kept in this browser/);
    expect(host.requests.some((r) => r.url.endsWith('.safetensors') && r.range !== 'bytes=0-0')).toBe(false);
  });

  test('persistent storage is asked for when there is room', async () => {
    const host = folderHost(patterned(100));
    let asked = false;
    const storage = { estimate: async () => ({ quota: 1e9, usage: 0 }), persisted: async () => false, persist: async () => (asked = true) };
    const { persisted } = await downloadModel(BASE, opts(host, { storage }));
    expect(asked && persisted).toBe(true);
  });

  test('a lost chunk is found before the engine reads it', async () => {
    const host = folderHost(patterned(3000));
    const o = opts(host);
    await downloadModel(BASE, o);
    await o.store.del(chunkKey(BASE, 'model.safetensors', 1));
    await expect(cachedModelFiles(o.store, BASE)).rejects.toThrow(CacheIncompleteError);
    await expect(cachedModelFiles(o.store, BASE)).rejects.toThrow(/lost part 2 of 3/);
  });

  test('listing and deleting kept models', async () => {
    const o = opts(folderHost(patterned(2000)));
    await downloadModel(BASE, o);
    const gguf = 'https://models.example/x.gguf';
    await downloadModel(gguf, { ...o, fetch: fakeHost({ [gguf]: tinyGguf(500) }).fetch });
    const listed = await listCachedModels(o.store);
    expect(listed.map((m) => m.key).sort()).toEqual([BASE, gguf].sort());
    await deleteCachedModel(o.store, BASE);
    expect((await listCachedModels(o.store)).map((m) => m.key)).toEqual([gguf]);
    expect((await o.store.keys()).filter((k) => k[1] === BASE)).toEqual([]);
    await expect(cachedModelFiles(o.store, BASE)).rejects.toThrow(/not kept in this browser/);
  });
});
