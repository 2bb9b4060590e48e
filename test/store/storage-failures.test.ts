/**
 * The model store when storage fails or is shared: a write refused at any point (the browser's
 * quota) leaves a copy that never counts as whole and resumes to the exact bytes; two downloads of
 * one model into one store, interleaved, leave it whole; with a lock manager the second waits and
 * fetches nothing. The browser-level versions of these run in e2e/ui/storage.spec.ts.
 */
import { describe, expect, test } from 'vitest';
import { cachedModelFiles, CacheIncompleteError } from '../../src/store/cached-model.ts';
import { downloadModel, type DownloadOptions } from '../../src/store/download.ts';
import type { KeyValueStore } from '../../src/store/kv-store.ts';
import { listCachedModels } from '../../src/store/model-cache.ts';
import { StorageFullError } from '../../src/store/quota.ts';
import { fakeHost, memoryStore, patterned } from './memory-store.ts';

const BASE = 'https://models.example/m/';
const WEIGHTS = patterned(4500, 7);
const host = () =>
  fakeHost({
    [`${BASE}config.json`]: '{"model_type":"qwen2"}',
    [`${BASE}tokenizer.json`]: '{"model":{}}',
    [`${BASE}model.safetensors`]: WEIGHTS,
  });

/** A store whose `writesLeft`-th write onwards is refused as a full disk would refuse it, until `room()`. */
function quotaStore(writesLeft: number) {
  const inner = memoryStore();
  let left = writesLeft;
  const store: KeyValueStore = {
    ...inner,
    async set(k, v) {
      if (left-- <= 0) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return inner.set(k, v);
    },
  };
  return { store, inner, room: () => (left = Infinity) };
}

const opts = (store: KeyValueStore, h = host(), extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  store,
  storage: null,
  fetch: h.fetch,
  chunkBytes: 1000,
  requestBytes: 500,
  ...extra,
});

async function weightsOf(store: KeyValueStore): Promise<Uint8Array> {
  const files = (await cachedModelFiles(store, BASE)) as File[];
  return new Uint8Array(await files.find((f) => f.name === 'model.safetensors')!.arrayBuffer());
}

describe('a write refused by the browser (quota exceeded)', () => {
  // Writes: the manifest, then per chunk its bytes and the manifest (2 small files of 1 chunk, 5 weight chunks).
  const WRITES = 1 + 2 * (2 + 5);

  test.each(Array.from({ length: WRITES }, (_, i) => i))('refused from write %i on: never whole, says why, resumes to the exact bytes', async (n) => {
    const { store, room } = quotaStore(n);
    const err = await downloadModel(BASE, opts(store)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toMatch(/^The browser refused to store more of this model after [\d.]+ MiB of [\d.]+ MiB: its storage for this site is full\. The part kept so far stays/);
    // Whatever made it to disk, the copy is not taken for whole.
    await expect(cachedModelFiles(store, BASE)).rejects.toThrow(CacheIncompleteError);
    const listed = await listCachedModels(store);
    expect(listed.every((m) => !m.complete)).toBe(true);

    room();
    const h = host();
    await downloadModel(BASE, opts(store, h));
    expect(await weightsOf(store)).toEqual(WEIGHTS);
    // Only what was missing came over the network again.
    const fetched = h.requests.filter((r) => r.url.endsWith('.safetensors') && r.range !== 'bytes=0-0').length;
    expect(fetched).toBeLessThanOrEqual(10);
  });

  test('other write failures stay what they are', async () => {
    const inner = memoryStore();
    const store: KeyValueStore = {
      ...inner,
      async set() {
        throw new DOMException('The database connection is closing.', 'InvalidStateError');
      },
    };
    await expect(downloadModel(BASE, opts(store))).rejects.toMatchObject({ name: 'InvalidStateError' });
  });
});

/** Web Locks as the browser grants them: one holder per name, the rest queued in order. */
function fakeLocks() {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<unknown>): Promise<unknown> {
      const previous = tails.get(name) ?? Promise.resolve();
      const run = previous.then(() => {
        options.signal?.throwIfAborted();
        return callback();
      });
      tails.set(name, run.catch(() => {}));
      return run;
    },
  } as unknown as Pick<LockManager, 'request'>;
}

describe('two downloads of the same model at once', () => {
  test('without a lock: interleaved chunk by chunk, the copy is whole and exact', async () => {
    const store = memoryStore();
    const a = host();
    const b = host();
    // Small requests, so that the two interleave at every await.
    await Promise.all([downloadModel(BASE, opts(store, a, { requestBytes: 100 })), downloadModel(BASE, opts(store, b, { requestBytes: 100 }))]);
    expect(await weightsOf(store)).toEqual(WEIGHTS);
    expect((await listCachedModels(store))[0]).toMatchObject({ complete: true, storedBytes: 4500 + 22 + 12 });
  });

  test('with a lock: the second waits, finds the copy whole and fetches no weights', async () => {
    const store = memoryStore();
    const locks = fakeLocks();
    const a = host();
    const b = host();
    const [ra, rb] = await Promise.all([downloadModel(BASE, opts(store, a, { locks })), downloadModel(BASE, opts(store, b, { locks }))]);
    expect(ra.manifest.files.at(-1)!.storedChunks).toBe(5);
    expect(rb.manifest.files.at(-1)!.storedChunks).toBe(5);
    const weightReads = (h: ReturnType<typeof host>) => h.requests.filter((r) => r.url.endsWith('.safetensors') && r.range !== 'bytes=0-0').length;
    expect([weightReads(a), weightReads(b)]).toEqual([9, 0]);
    expect(await weightsOf(store)).toEqual(WEIGHTS);
  });

  test('a download waiting for the lock can be cancelled', async () => {
    const store = memoryStore();
    const locks = fakeLocks();
    const cancel = new AbortController();
    const first = downloadModel(BASE, opts(store, host(), { locks }));
    const second = downloadModel(BASE, opts(store, host(), { locks, signal: cancel.signal }));
    cancel.abort();
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    await first;
    expect(await weightsOf(store)).toEqual(WEIGHTS);
  });
});
